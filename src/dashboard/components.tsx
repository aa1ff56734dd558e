/**
 * Markup every dashboard list repeats: the responsive table (each cell labelled for the narrow
 * layout) and the pager. One component each, so the pages only say what their columns hold.
 */
import type { Child } from 'hono/jsx'

/**
 * One column: its header, an optional class for header and cells (`num` right-aligns) or for the
 * cells alone, and what a row shows in it.
 */
export type Column<T> = {
  label: string
  class?: string
  cellClass?: string
  cell: (row: T) => Child
}

/**
 * A responsive table of `rows`; every cell carries its column's label as `data-label`. With no
 * rows, the `empty` sentence instead (when given).
 */
export function DataTable<T>(props: {
  rows: readonly T[]
  columns: readonly Column<T>[]
  empty?: Child
  /** Names the table's scroll box for screen readers (it can be scrolled with the keyboard). */
  label?: string
}) {
  if (props.rows.length === 0 && props.empty !== undefined) return <p>{props.empty}</p>
  return (
    // Focusable: a wide table scrolls inside its box, and keyboard users must be able to scroll it.
    <section class="table-wrap" aria-label={props.label ?? 'Table'} tabindex={0}>
      <table class="responsive">
        <thead>
          <tr>
            {props.columns.map((col) => (
              <th scope="col" class={col.class}>
                {col.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => (
            <tr>
              {props.columns.map((col) => (
                <td data-label={col.label} class={col.cellClass ?? col.class}>
                  {col.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}

/** The list pager: back to the newest page, and the next (older) page when there is one. */
export function Pager(props: { first: string; next: string | null; label: string }) {
  return (
    <nav class="pager" aria-label="Pages">
      <a href={props.first}>Newest</a>
      {props.next ? (
        <a href={props.next} rel="next">
          {props.label}
        </a>
      ) : null}
    </nav>
  )
}

/** Label–value pairs (a definition list), e.g. a record's details. */
export function Facts(props: { items: readonly (readonly [string, Child])[] }) {
  return (
    <dl class="facts">
      {props.items.map(([label, value]) => (
        <>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </>
      ))}
    </dl>
  )
}
