/**
 * Charts drawn on the server as SVG: no client script, readable by screen readers (role="img"
 * with <title>/<desc> linked by aria-labelledby), and each followed by its data as a table.
 * Pure functions of their series; geometry is computed here so tests can check it. Table cells
 * carry each value in `<data data-figure>` so tests can compare them with the metrics API.
 */
import { dayLabel, formatPence, formatPoundsCompact, monthLabel } from './format'

export type DailyPoint = { date: string; missed: number; recovered: number }
export type MonthlyPoint = { month: string; revenuePence: number }

const W = 720
const H = 240
const PAD = { top: 16, right: 12, bottom: 28, left: 56 }

/** A "nice" ceiling for the y axis so gridlines land on round numbers. */
export function niceMax(value: number): number {
  if (value <= 0) return 1
  const pow = 10 ** Math.floor(Math.log10(value))
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * pow >= value) return step * pow
  }
  return 10 * pow
}

function ticks(max: number, count = 4): number[] {
  return Array.from({ length: count + 1 }, (_, i) => (max / count) * i)
}

/** Missed vs recovered per day: paired bars, missed in one colour, recovered in another. */
export function DailyChart(props: { id: string; points: DailyPoint[] }) {
  const { id, points } = props
  const max = niceMax(Math.max(1, ...points.map((p) => Math.max(p.missed, p.recovered))))
  const innerW = W - PAD.left - PAD.right
  const innerH = H - PAD.top - PAD.bottom
  const slot = innerW / Math.max(1, points.length)
  const bar = Math.max(1, slot * 0.38)
  const y = (v: number) => PAD.top + innerH - (v / max) * innerH
  const totalMissed = points.reduce((s, p) => s + p.missed, 0)
  const totalRecovered = points.reduce((s, p) => s + p.recovered, 0)
  const labelEvery = Math.max(1, Math.ceil(points.length / 6))
  return (
    <figure class="chart">
      <figcaption id={`${id}-caption`}>Missed calls and recovered appointments per day</figcaption>
      <section
        class="chart-scroll"
        tabindex={0}
        aria-label="Chart, scrolls sideways on small screens"
      >
        <svg
          viewBox={`0 0 ${W} ${H}`}
          role="img"
          aria-labelledby={`${id}-title ${id}-desc`}
          preserveAspectRatio="xMidYMid meet"
        >
          <title id={`${id}-title`}>Missed calls vs recovered appointments, daily</title>
          <desc id={`${id}-desc`}>
            {`Over ${points.length} days: ${totalMissed} missed calls and ${totalRecovered} recovered appointments. The table below lists each day.`}
          </desc>
          {ticks(max).map((t) => (
            <g>
              <line class="grid" x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} />
              <text class="axis" x={PAD.left - 6} y={y(t) + 4} text-anchor="end">
                {String(Math.round(t))}
              </text>
            </g>
          ))}
          {points.map((p, i) => {
            const x = PAD.left + i * slot + slot * 0.1
            return (
              <g>
                <rect
                  class="bar-missed"
                  x={x}
                  y={y(p.missed)}
                  width={bar}
                  height={y(0) - y(p.missed)}
                >
                  <title>{`${dayLabel(p.date)}: ${p.missed} missed`}</title>
                </rect>
                <rect
                  class="bar-recovered"
                  x={x + bar}
                  y={y(p.recovered)}
                  width={bar}
                  height={y(0) - y(p.recovered)}
                >
                  <title>{`${dayLabel(p.date)}: ${p.recovered} recovered`}</title>
                </rect>
                {i % labelEvery === 0 ? (
                  <text class="axis" x={x + bar} y={H - 8} text-anchor="middle">
                    {dayLabel(p.date)}
                  </text>
                ) : null}
              </g>
            )
          })}
        </svg>
      </section>
      <ul class="legend" aria-hidden="true">
        <li>
          <span class="swatch swatch-missed" /> Missed
        </li>
        <li>
          <span class="swatch swatch-recovered" /> Recovered
        </li>
      </ul>
      <details>
        <summary>Show the data as a table</summary>
        <table>
          <caption class="visually-hidden">Missed and recovered per day</caption>
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col">Missed</th>
              <th scope="col">Recovered</th>
            </tr>
          </thead>
          <tbody>
            {points.map((p) => (
              <tr data-date={p.date}>
                <th scope="row">{dayLabel(p.date)}</th>
                <td>
                  <data data-figure="missedCalls" value={String(p.missed)}>
                    {p.missed}
                  </data>
                </td>
                <td>
                  <data data-figure="recoveredAppointments" value={String(p.recovered)}>
                    {p.recovered}
                  </data>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  )
}

/** Recovered revenue per month as bars labelled in pounds. */
export function MonthlyRevenueChart(props: { id: string; points: MonthlyPoint[] }) {
  const { id, points } = props
  const max = niceMax(Math.max(100, ...points.map((p) => p.revenuePence)))
  const innerW = W - PAD.left - PAD.right
  const innerH = H - PAD.top - PAD.bottom
  const slot = innerW / Math.max(1, points.length)
  const bar = Math.max(2, slot * 0.6)
  const y = (v: number) => PAD.top + innerH - (v / max) * innerH
  const total = points.reduce((s, p) => s + p.revenuePence, 0)
  return (
    <figure class="chart">
      <figcaption>Recovered revenue per month</figcaption>
      <section
        class="chart-scroll"
        tabindex={0}
        aria-label="Chart, scrolls sideways on small screens"
      >
        <svg
          viewBox={`0 0 ${W} ${H}`}
          role="img"
          aria-labelledby={`${id}-title ${id}-desc`}
          preserveAspectRatio="xMidYMid meet"
        >
          <title id={`${id}-title`}>Recovered revenue, monthly</title>
          <desc id={`${id}-desc`}>
            {`${formatPence(total)} recovered over ${points.length} months. The table below lists each month.`}
          </desc>
          {ticks(max).map((t) => (
            <g>
              <line class="grid" x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} />
              <text class="axis" x={PAD.left - 6} y={y(t) + 4} text-anchor="end">
                {formatPoundsCompact(t)}
              </text>
            </g>
          ))}
          {points.map((p, i) => {
            const x = PAD.left + i * slot + (slot - bar) / 2
            return (
              <g>
                <rect
                  class="bar-revenue"
                  x={x}
                  y={y(p.revenuePence)}
                  width={bar}
                  height={y(0) - y(p.revenuePence)}
                >
                  <title>{`${monthLabel(p.month)}: ${formatPence(p.revenuePence)}`}</title>
                </rect>
                <text class="axis" x={x + bar / 2} y={H - 8} text-anchor="middle">
                  {monthLabel(p.month).slice(0, 3)}
                </text>
              </g>
            )
          })}
        </svg>
      </section>
      <details>
        <summary>Show the data as a table</summary>
        <table>
          <caption class="visually-hidden">Recovered revenue per month</caption>
          <thead>
            <tr>
              <th scope="col">Month</th>
              <th scope="col">Recovered revenue</th>
            </tr>
          </thead>
          <tbody>
            {points.map((p) => (
              <tr data-month={p.month}>
                <th scope="row">{monthLabel(p.month)}</th>
                <td>
                  <data data-figure="recoveredRevenuePence" value={String(p.revenuePence)}>
                    {formatPence(p.revenuePence)}
                  </data>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  )
}
