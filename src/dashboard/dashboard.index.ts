/** The clinic dashboard's router (pages in ./pages, handlers in ./routes.tsx), mounted at `/` by src/app.ts. */
export { dashboardRouter } from './routes'
