/** Types for scripts/vendor-assets.mjs (imported by vitest.config.ts). */
export const VENDOR_FILES: [from: string, to: string][]
export function vendorAssets(): void
