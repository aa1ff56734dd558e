/** The transactional emails staff receive: plain text first, minimal HTML beside it. */

export type EmailContent = { subject: string; text: string; html: string }

function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
}

function render(subject: string, lines: string[], link: string): EmailContent {
  const text = [...lines, '', link].join('\n')
  const html = `${lines.map((l) => `<p>${escapeHtml(l)}</p>`).join('')}<p><a href="${escapeHtml(link)}">${escapeHtml(link)}</a></p>`
  return { subject, text, html }
}

/** Invites a team member to set a password and join the clinic. */
export function inviteEmail(clinicName: string, link: string, expiresInDays: number): EmailContent {
  return render(
    `You're invited to ${clinicName} on Ringback`,
    [
      `You have been invited to join ${clinicName} on Ringback.`,
      `Choose a password with the link below; it works once and expires in ${expiresInDays} days.`,
    ],
    link,
  )
}

/** A password-reset link. */
export function passwordResetEmail(link: string, expiresInMinutes: number): EmailContent {
  return render(
    'Reset your Ringback password',
    [
      'Someone (hopefully you) asked to reset your Ringback password.',
      `The link below works once and expires in ${expiresInMinutes} minutes. If you did not ask, ignore this email.`,
    ],
    link,
  )
}

/** The guide a visitor asked for on a clinic's site: a link that works for a week. */
export function guideEmail(clinicName: string, link: string, expiresInDays: number): EmailContent {
  return render(
    `Your guide from ${clinicName}`,
    [
      `Thank you for your interest in ${clinicName}. Here is the guide you asked for.`,
      `The link below works for ${expiresInDays} days.`,
    ],
    link,
  )
}

/** The missed-call scorecard's estimate, as shown on the page. */
export function scorecardEmail(
  clinicName: string,
  figures: { missedCallsPerMonth: number; lost: string; recoverable: string },
  link: string,
): EmailContent {
  return render(
    'Your missed-call scorecard',
    [
      `Your estimate from ${clinicName}:`,
      `Missed calls a month: ${figures.missedCallsPerMonth}.`,
      `Revenue lost to missed calls a month: ${figures.lost}.`,
      `Of which a text-back within seconds could win back: ${figures.recoverable}.`,
      'How these figures are worked out:',
    ],
    link,
  )
}

/** A book-a-call request, to the clinic's staff: a link to the lead, never their details. */
export function bookCallNoticeEmail(leadLink: string): EmailContent {
  return render(
    'Someone asked for a call back',
    ['A visitor asked for a call back through your website. Their details are on the lead:'],
    leadLink,
  )
}
