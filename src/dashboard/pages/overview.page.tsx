/**
 * The overview: this week and month at a glance, trend charts, hold-out uplift, callers to ring
 * back. Every figure comes from the metrics module (the code behind /api/v1/metrics); each is
 * marked with `data-figure` so a test can hold the page to the API.
 */
import {
  countWaitingCallers,
  listWaitingCallers,
  type WaitingCaller,
} from '../../calls/calls.service'
import type { ClinicRow } from '../../clinic/find'
import type { HoldOutSummary } from '../../metrics/aggregate'
import { addDays, localDateOf } from '../../metrics/local-time'
import {
  type Figures,
  figuresBetween,
  loadDays,
  monthlyFiguresOf,
  monthsBetween,
} from '../../metrics/metrics.service'
import { DailyChart, type DailyPoint, type MonthlyPoint, MonthlyRevenueChart } from '../charts'
import { formatDuration, formatPence, formatRate, startOfWeek } from '../format'
import { Layout, type Viewer } from '../layout'
import { type Ctx, page } from '../page-kit'
import { WaitingTable } from './worklist.page'

/** A period's figures and its local dates (inclusive). */
type Period = { from: string; to: string; figures: Figures }

export type Overview = {
  timezone: string
  week: Period
  month: Period
  daily: DailyPoint[]
  monthly: MonthlyPoint[]
  /** The six months of the revenue chart; null when the clinic holds nobody out. */
  holdOut: HoldOutSummary | null
  holdOutPercent: number
  /** The newest of the waiting list, and how many wait in all. */
  toCallBack: WaitingCaller[]
  waitingCount: number
}

/** How many months the revenue chart (and the hold-out comparison) covers, this one included. */
const CHART_MONTHS = 6
/** How many waiting callers the overview shows (the full list is /calls/waiting). */
const OVERVIEW_WAITING = 10
/** How many days the daily chart covers, today included. */
const CHART_DAYS = 30

/** Everything the overview shows: one read of the stored days, one of the worklist. */
async function loadOverview(c: Ctx, clinic: ClinicRow, now: number): Promise<Overview> {
  const tz = clinic.timezone
  const today = localDateOf(now, tz)
  const thisMonth = today.slice(0, 7)
  const weekStart = startOfWeek(today)
  const monthStart = `${thisMonth}-01`
  const chartFrom = addDays(today, -(CHART_DAYS - 1))
  const months = monthsBetween(
    addDays(monthStart, -31 * CHART_MONTHS).slice(0, 7),
    thisMonth,
  ).slice(-CHART_MONTHS)
  const firstDay = [`${months[0]}-01`, chartFrom, weekStart].sort()[0]!
  const [stored, toCallBack, waitingCount] = await Promise.all([
    loadDays(c.env, c.var.db, clinic.id, firstDay, today, now),
    listWaitingCallers(c.var.db, clinic.id, { limit: OVERVIEW_WAITING, cursor: null, now }),
    countWaitingCallers(c.var.db, clinic.id),
  ])
  const monthly = monthlyFiguresOf(stored, months)
  return {
    timezone: tz,
    week: { from: weekStart, to: today, figures: figuresBetween(stored.days, weekStart, today) },
    month: { from: monthStart, to: today, figures: figuresBetween(stored.days, monthStart, today) },
    daily: [...stored.days]
      .filter(([date]) => date >= chartFrom)
      .map(([date, day]) => ({
        date,
        missed: day.missedCalls,
        recovered: day.recoveredAppointments,
      })),
    monthly: monthly.months.map((m) => ({ month: m.month, revenuePence: m.recoveredRevenuePence })),
    holdOut: clinic.holdOutPercent > 0 ? monthly.holdOut : null,
    holdOutPercent: clinic.holdOutPercent,
    toCallBack: toCallBack.slice(0, OVERVIEW_WAITING),
    waitingCount,
  }
}

/** GET / */
export const overviewPage = page('overview', async (c, s) => {
  const data = await loadOverview(c, s.clinic, Date.now())
  return c.html(<OverviewPage viewer={s.viewer} data={data} />)
})

/** A figure with its raw value for machines (`<data value>`) and its formatted text for people. */
function Figure(props: { name: keyof Figures; value: number | null; children: string | number }) {
  return (
    <data data-figure={props.name} value={props.value === null ? '' : String(props.value)}>
      {props.children}
    </data>
  )
}

/** The figures that are plain numbers (everything but the hold-out summary). */
type NumericFigure = {
  [K in keyof Figures]: Figures[K] extends number | null ? K : never
}[keyof Figures]

/** A headline figure: its label, the metrics field it shows (compared with the API), its text. */
type Stat = { label: string; figure: NumericFigure | null; text: (f: Figures) => string }

const STATS: readonly Stat[] = [
  { label: 'Missed calls', figure: 'missedCalls', text: (f) => String(f.missedCalls) },
  {
    label: 'Answer rate',
    figure: null,
    text: (f) => formatRate(f.answeredCalls, f.answeredCalls + f.missedCalls),
  },
  { label: 'Callback rate', figure: null, text: (f) => formatRate(f.callbacks, f.missedCalls) },
  {
    label: 'Median time to callback',
    figure: 'medianCallbackSeconds',
    text: (f) => formatDuration(f.medianCallbackSeconds),
  },
  { label: 'Text-backs sent', figure: 'textBacks', text: (f) => String(f.textBacks) },
  {
    label: 'Recovered appointments',
    figure: 'recoveredAppointments',
    text: (f) => String(f.recoveredAppointments),
  },
  {
    label: 'Recovered revenue',
    figure: 'recoveredRevenuePence',
    text: (f) => formatPence(f.recoveredRevenuePence),
  },
]

/** A count in running text, marked as the metrics field it shows. */
function Count(props: { figures: Figures; name: NumericFigure }) {
  const value = props.figures[props.name]
  return (
    <Figure name={props.name} value={value}>
      {value ?? '—'}
    </Figure>
  )
}

function PeriodFigures(props: { id: string; title: string; period: Period }) {
  const s = props.period.figures
  return (
    <section
      aria-labelledby={props.id}
      data-period={props.id}
      data-from={props.period.from}
      data-to={props.period.to}
    >
      <h2 id={props.id}>{props.title}</h2>
      <dl class="stats">
        {STATS.map((st) => (
          <div class="stat">
            <dt>{st.label}</dt>
            <dd>
              {st.figure ? (
                <Figure name={st.figure} value={s[st.figure]}>
                  {st.text(s)}
                </Figure>
              ) : (
                st.text(s)
              )}
            </dd>
          </div>
        ))}
      </dl>
      <p class="hint">
        {'Of '}
        <Count figures={s} name="inboundCalls" />
        {' calls in: '}
        <Count figures={s} name="answeredCalls" />
        {' answered, '}
        {s.missedCalls}
        {' missed ('}
        <Count figures={s} name="voicemails" />
        {' left a voicemail), '}
        <Count figures={s} name="callbacks" />
        {' called back.'}
      </p>
    </section>
  )
}

function HoldOut(props: { holdOut: HoldOutSummary; percent: number }) {
  const h = props.holdOut
  const uplift = h.upliftPercentagePoints
  return (
    <section aria-labelledby="holdout" class="card" data-holdout>
      <h2 id="holdout">Text-back uplift (hold-out test)</h2>
      <p>
        {`${props.percent}% of eligible missed callers are held out at random and get no text-back, so the difference shows what text-backs add. Over the last ${CHART_MONTHS} months:`}
      </p>
      {uplift === null ? (
        <p class="muted">Not enough calls in either group yet to compare.</p>
      ) : (
        <p>
          <strong>
            <data data-figure="upliftPercentagePoints" value={String(uplift)}>
              {`${uplift > 0 ? '+' : ''}${uplift} percentage points`}
            </data>
          </strong>
          {` — ${formatRate(h.textBackRecovered, h.textBackMissedCalls)} of `}
          <data data-figure="textBackMissedCalls" value={String(h.textBackMissedCalls)}>
            {h.textBackMissedCalls}
          </data>
          {` texted callers booked, against ${formatRate(h.heldOutRecovered, h.heldOutMissedCalls)} of `}
          <data data-figure="heldOutMissedCalls" value={String(h.heldOutMissedCalls)}>
            {h.heldOutMissedCalls}
          </data>
          {' held out.'}
        </p>
      )}
    </section>
  )
}

function OverviewPage(props: { viewer: Viewer; data: Overview }) {
  const { data } = props
  return (
    <Layout title="Overview" viewer={props.viewer} active="overview">
      <div class="period">
        <PeriodFigures id="this-week" title="This week" period={data.week} />
        <PeriodFigures id="this-month" title="This month" period={data.month} />
      </div>

      <h2>Trends</h2>
      <DailyChart id="chart-daily" points={data.daily} />
      <MonthlyRevenueChart id="chart-monthly" points={data.monthly} />

      {data.holdOut ? <HoldOut holdOut={data.holdOut} percent={data.holdOutPercent} /> : null}

      <section aria-labelledby="to-call-back">
        <h2 id="to-call-back">To call back</h2>
        <p class="hint">
          Missed callers not yet called back, resolved or booked, newest first.{' '}
          <a href="/calls/waiting">{`See all ${data.waitingCount} waiting`}</a>
        </p>
        {data.toCallBack.length === 0 ? (
          <p>Everyone has been called back. 🎉</p>
        ) : (
          <WaitingTable rows={data.toCallBack} timezone={data.timezone} />
        )}
      </section>
    </Layout>
  )
}
