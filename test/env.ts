/**
 * The configuration tests run with: dev values only, no real secrets, Twilio in sandbox mode
 * unless a test points a client at a local fake. Shared by vitest.config.ts and test helpers.
 */
export const TEST_VARS = {
  ENVIRONMENT: 'test',
  PUBLIC_BASE_URL: 'https://ringback.test',
  TWILIO_ACCOUNT_SID: 'sandbox',
  TWILIO_AUTH_TOKEN: 'test-twilio-auth-token',
  PHONE_HASH_SECRET: 'test-phone-hash-secret-0123456789',
  DATA_ENCRYPTION_KEY: 'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=',
  SESSION_SECRET: 'test-session-secret-0123456789abcdef',
  ANTHROPIC_API_KEY: 'sandbox',
  STRIPE_SECRET_KEY: 'sandbox',
  RESEND_API_KEY: 'sandbox',
  TURNSTILE_SECRET_KEY: 'sandbox',
} as const
