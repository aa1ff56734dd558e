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
