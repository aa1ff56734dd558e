/**
 * Metrics API: daily and monthly figures in the clinic's local time zone, read from the
 * anonymous aggregates in daily_metrics (which outlive the purge of the calls they count).
 * Every local day or month of the range is present, zeros included. The last two local days are
 * recomputed at read time so that today's figures are current without waiting for the cron.
 */
import { createRoute, z } from '@hono/zod-openapi'
import { and, between, eq } from 'drizzle-orm'
import type { Context } from 'hono'
import { requireAuth, STAFF } from '../auth/middleware'
import { clinics, dailyMetrics } from '../db/schema'
import {
  addMonths,
  CalendarDateSchema,
  CalendarMonthSchema,
  MAX_YEAR,
  MIN_YEAR,
  parseDateRange,
  parseMonthRange,
} from '../lib/calendar-date'
import type { AppEnv } from '../lib/context'
import { createRouter } from '../lib/create-app'
import { notFound } from '../lib/problem'
import { DAY_MS } from '../lib/time'
import { type DayAggregate, emptyDay, holdOutSummary, median, sumDays } from './aggregate'
import { addDays, datesBetween, localDateOf } from './local-time'
import { rollUpMetrics } from './rollup'

/** Range caps: bound the work and the response of one request. */
export const MAX_DAYS = 400
export const MAX_MONTHS = 36

const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi('Problem')

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ProblemSchema } },
})

const HoldOutSchema = z
  .object({
    textBackMissedCalls: z.number().int(),
    textBackRecovered: z.number().int(),
    heldOutMissedCalls: z.number().int(),
    heldOutRecovered: z.number().int(),
    textBackRecoveryRate: z.number().nullable(),
    heldOutRecoveryRate: z.number().nullable(),
    upliftPercentagePoints: z.number().nullable(),
  })
  .openapi('HoldOutComparison', {
    description:
      'Recovery rate of missed calls that got a text-back against those held out of text-backs (cohorts by the day of the missed call).',
  })

const figures = {
  inboundCalls: z.number().int(),
  missedCalls: z.number().int().openapi({ description: 'Missed calls, voicemails included.' }),
  answeredCalls: z.number().int(),
  voicemails: z.number().int(),
  callbacks: z
    .number()
    .int()
    .openapi({ description: 'Missed calls of the day that got a callback.' }),
  textBacks: z
    .number()
    .int()
    .openapi({ description: 'Missed calls of the day that got a text-back.' }),
  medianCallbackSeconds: z.number().int().nullable(),
  recoveredAppointments: z
    .number()
    .int()
    .openapi({ description: 'Recovered appointments, by the local day they were booked.' }),
  recoveredRevenuePence: z.number().int(),
  holdOut: HoldOutSchema,
}

const DayMetricsSchema = z.object({ date: z.string(), ...figures }).openapi('DayMetrics')
const MonthMetricsSchema = z.object({ month: z.string(), ...figures }).openapi('MonthMetrics')

const dailyRoute = createRoute({
  method: 'get',
  path: '/metrics/daily',
  tags: ['Metrics'],
  summary: 'Daily figures in the clinic time zone, every day of the range',
  security: [{ session: [] }, { apiKey: [] }] as Array<Record<string, string[]>>,
  middleware: [requireAuth(STAFF)],
  request: {
    query: z.object({
      from: CalendarDateSchema.openapi({ example: '2026-11-01' }),
      to: CalendarDateSchema.openapi({ example: '2026-11-30' }),
    }),
  },
  responses: {
    200: {
      description: 'Daily figures',
      content: {
        'application/json': {
          schema: z
            .object({
              timezone: z.string(),
              days: z.array(DayMetricsSchema),
              holdOut: HoldOutSchema,
            })
            .openapi('DailyMetrics'),
        },
      },
    },
    400: problem(`Invalid dates (years ${MIN_YEAR}–${MAX_YEAR}), or more than ${MAX_DAYS} days`),
    401: problem('Not signed in'),
  },
})

const monthlyRoute = createRoute({
  method: 'get',
  path: '/metrics/monthly',
  tags: ['Metrics'],
  summary: 'Monthly figures in the clinic time zone, every month of the range',
  security: [{ session: [] }, { apiKey: [] }] as Array<Record<string, string[]>>,
  middleware: [requireAuth(STAFF)],
  request: {
    query: z.object({
      from: CalendarMonthSchema.openapi({ example: '2026-01' }),
      to: CalendarMonthSchema.openapi({ example: '2026-12' }),
    }),
  },
  responses: {
    200: {
      description: 'Monthly figures',
      content: {
        'application/json': {
          schema: z
            .object({
              timezone: z.string(),
              months: z.array(MonthMetricsSchema),
              holdOut: HoldOutSchema,
            })
            .openapi('MonthlyMetrics'),
        },
      },
    },
    400: problem(
      `Invalid months (years ${MIN_YEAR}–${MAX_YEAR}), or more than ${MAX_MONTHS} months`,
    ),
    401: problem('Not signed in'),
  },
})

function present(day: DayAggregate) {
  return {
    inboundCalls: day.inboundCalls,
    missedCalls: day.missedCalls,
    answeredCalls: day.answeredCalls,
    voicemails: day.voicemails,
    callbacks: day.callbacks,
    textBacks: day.textBacks,
    medianCallbackSeconds: median(day.callbackSeconds),
    recoveredAppointments: day.recoveredAppointments,
    recoveredRevenuePence: day.recoveredRevenuePence,
    holdOut: holdOutSummary(day),
  }
}

/** Reads the stored days of [from, to] (refreshing the last two local days first). */
async function loadDays(
  c: Context<AppEnv>,
  clinicId: string,
  from: string,
  to: string,
): Promise<{ timezone: string; days: Map<string, DayAggregate> }> {
  const [clinic] = await c.var.db
    .select({ timezone: clinics.timezone })
    .from(clinics)
    .where(eq(clinics.id, clinicId))
    .limit(1)
  if (!clinic) throw notFound()
  const now = Date.now()
  const today = localDateOf(now, clinic.timezone)
  const yesterday = addDays(today, -1)
  if (from <= today && to >= yesterday) {
    await rollUpMetrics(c.env, clinicId, Math.max(now - DAY_MS, 0), now)
  }
  const rows = await c.var.db
    .select()
    .from(dailyMetrics)
    .where(and(eq(dailyMetrics.clinicId, clinicId), between(dailyMetrics.date, from, to)))
  const days = new Map<string, DayAggregate>(datesBetween(from, to).map((d) => [d, emptyDay()]))
  for (const r of rows) {
    let seconds: number[] = []
    try {
      const parsed: unknown = JSON.parse(r.callbackSecondsJson)
      if (Array.isArray(parsed)) seconds = parsed.filter((n): n is number => typeof n === 'number')
    } catch {
      seconds = []
    }
    days.set(r.date, {
      inboundCalls: r.inboundCalls,
      missedCalls: r.missedCalls,
      answeredCalls: r.answeredCalls,
      voicemails: r.voicemails,
      callbacks: r.callbacks,
      textBacks: r.textBacks,
      callbackSeconds: seconds,
      recoveredAppointments: r.recoveredAppointments,
      recoveredRevenuePence: r.recoveredRevenuePence,
      heldOutMissedCalls: r.heldOutMissedCalls,
      heldOutRecovered: r.heldOutRecovered,
      textBackMissedCalls: r.textBackMissedCalls,
      textBackRecovered: r.textBackRecovered,
    })
  }
  return { timezone: clinic.timezone, days }
}

export const metricsRouter = createRouter()

metricsRouter.openapi(dailyRoute, async (c) => {
  const query = c.req.valid('query')
  const { from, to } = parseDateRange(query.from, query.to, MAX_DAYS)
  const { timezone, days } = await loadDays(c, c.var.principal.clinicId, from, to)
  return c.json(
    {
      timezone,
      days: [...days].map(([date, day]) => ({ date, ...present(day) })),
      holdOut: holdOutSummary(sumDays([...days.values()])),
    },
    200,
  )
})

metricsRouter.openapi(monthlyRoute, async (c) => {
  const query = c.req.valid('query')
  const { from, to, months } = parseMonthRange(query.from, query.to, MAX_MONTHS)
  const lastDay = addDays(`${addMonths(to, 1)}-01`, -1)
  const { timezone, days } = await loadDays(c, c.var.principal.clinicId, `${from}-01`, lastDay)
  const byMonth = new Map<string, DayAggregate[]>(months.map((m) => [m, []]))
  for (const [date, day] of days) byMonth.get(date.slice(0, 7))?.push(day)
  return c.json(
    {
      timezone,
      months: months.map((month) => ({ month, ...present(sumDays(byMonth.get(month) ?? [])) })),
      holdOut: holdOutSummary(sumDays([...days.values()])),
    },
    200,
  )
})
