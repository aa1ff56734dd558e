/**
 * The public privacy-notice page the clients' email links to: the version in force and what
 * changed in it (src/billing/privacy-notice.ts). No sign-in; nothing personal.
 */
import { PRIVACY_NOTICE } from '../../billing/privacy-notice'
import { Document } from '../layout'
import type { Ctx } from '../page-kit'

export function privacyNoticeGet(c: Ctx) {
  return c.html(
    <Document title="Ringback privacy notice">
      <main id="main" class="narrow">
        <h1>Ringback privacy notice</h1>
        <p>{`Version ${PRIVACY_NOTICE.version}.`}</p>
        <h2>What changed in this version</h2>
        <ul>
          {PRIVACY_NOTICE.changes.map((change) => (
            <li>{change}</li>
          ))}
        </ul>
        <p>
          Clinics use Ringback to handle their patients’ calls, messages and enquiries: the clinic
          is the controller of that data and Ringback its processor. Caller numbers are kept only as
          keyed hashes, contact details and messages are encrypted at rest, and everything is
          deleted on the retention schedule the clinic sets (at most 90 days for call records and 24
          months for enquiries and conversations). To exercise your rights, contact the clinic.
        </p>
      </main>
    </Document>,
  )
}
