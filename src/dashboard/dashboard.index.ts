/**
 * The clinic dashboard's router, mounted at `/` by src/app.ts: paths and middleware in
 * ./routes.tsx, each page's loader and view in ./pages/<group>.page.tsx.
 */
export { dashboardRouter } from './routes'
