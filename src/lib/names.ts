/** A person's initials for lists that must not show their name ("Priya Shah" → "PS"; at most three). */
export function initialsOf(name: string): string {
  return name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 3)
    .map((w) => w[0]!.toUpperCase())
    .join('')
}
