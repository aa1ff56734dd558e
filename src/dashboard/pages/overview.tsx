/** The overview: this week and month at a glance, trend charts, hold-out uplift, callers to ring back. */
import { DailyChart, MonthlyRevenueChart } from '../charts'
import { callerLabel, formatDuration, formatLocal, formatPence, formatRate } from '../format'
import { Layout, type Viewer } from '../layout'
import type { Overview, PeriodStats } from '../queries'

function Period(props: { id: string; title: string; stats: PeriodStats }) {
  const s = props.stats
  const answerable = s.answeredCalls + s.missedCalls
  return (
    <section aria-labelledby={props.id}>
      <h2 id={props.id}>{props.title}</h2>
      <dl class="stats">
        <div class="stat">
          <dt>Missed calls</dt>
          <dd>{s.missedCalls}</dd>
        </div>
        <div class="stat">
          <dt>Answer rate</dt>
          <dd>{formatRate(s.answeredCalls, answerable)}</dd>
        </div>
        <div class="stat">
          <dt>Callback rate</dt>
          <dd>{formatRate(s.callbacks, s.missedCalls)}</dd>
        </div>
        <div class="stat">
          <dt>Median time to callback</dt>
          <dd>{formatDuration(s.medianCallbackSeconds)}</dd>
        </div>
        <div class="stat">
          <dt>Text-backs sent</dt>
          <dd>{s.textBacks}</dd>
        </div>
        <div class="stat">
          <dt>Recovered appointments</dt>
          <dd>{s.recoveredAppointments}</dd>
        </div>
        <div class="stat">
          <dt>Recovered revenue</dt>
          <dd>{formatPence(s.recoveredRevenuePence)}</dd>
        </div>
      </dl>
    </section>
  )
}

export function OverviewPage(props: { viewer: Viewer; data: Overview }) {
  const { data } = props
  return (
    <Layout title="Overview" viewer={props.viewer} active="overview">
      <div class="period">
        <Period id="this-week" title="This week" stats={data.week} />
        <Period id="this-month" title="This month" stats={data.month} />
      </div>

      <h2>Trends</h2>
      <DailyChart id="chart-daily" points={data.daily} />
      <MonthlyRevenueChart id="chart-monthly" points={data.monthly} />

      {data.holdOut ? (
        <section aria-labelledby="holdout" class="card">
          <h2 id="holdout">Text-back uplift (hold-out test)</h2>
          <p>
            {`${data.holdOutPercent}% of eligible missed callers are held out at random and get no text-back, so the difference shows what text-backs add.`}
          </p>
          {data.holdOut.upliftPoints === null ? (
            <p class="muted">Not enough calls in either group yet to compare.</p>
          ) : (
            <p>
              <strong>{`${data.holdOut.upliftPoints > 0 ? '+' : ''}${data.holdOut.upliftPoints} percentage points`}</strong>
              {` — ${formatRate(data.holdOut.textBackRecovered, data.holdOut.textBackCalls)} of ${data.holdOut.textBackCalls} texted callers booked, against ${formatRate(data.holdOut.heldOutRecovered, data.holdOut.heldOutCalls)} of ${data.holdOut.heldOutCalls} held out.`}
            </p>
          )}
        </section>
      ) : null}

      <section aria-labelledby="to-call-back">
        <h2 id="to-call-back">To call back</h2>
        <p class="hint">
          Missed callers with no callback or booking yet, oldest first. Numbers are never shown
          here: open the call in your phone system to dial.
        </p>
        {data.toCallBack.length === 0 ? (
          <p>Everyone has been called back. 🎉</p>
        ) : (
          <div class="table-wrap">
            <table class="responsive">
              <thead>
                <tr>
                  <th scope="col">Caller</th>
                  <th scope="col">First missed</th>
                  <th scope="col" class="num">
                    Missed calls
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.toCallBack.map((r) => (
                  <tr>
                    <td data-label="Caller">
                      <a href={`/calls?caller=${encodeURIComponent(r.callerHash.slice(0, 6))}`}>
                        {callerLabel(r.callerHash)}
                      </a>
                    </td>
                    <td data-label="First missed">{formatLocal(r.firstMissedAt, data.timezone)}</td>
                    <td data-label="Missed calls" class="num">
                      {r.missedCount}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </Layout>
  )
}
