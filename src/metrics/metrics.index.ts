/**
 * Metrics API: daily and monthly figures in the clinic's local time zone, read from the
 * anonymous aggregates in daily_metrics (which outlive the purge of the calls they count).
 * Every local day or month of the range is present, zeros included. The last two local days are
 * recomputed at read time so that today's figures are current without waiting for the cron.
 */

import { z } from '@hono/zod-openapi'
import { answers } from '../auth/openapi'
import { guardedRoutes } from '../auth/route'
import {
  CalendarDateSchema,
  CalendarMonthSchema,
  MAX_YEAR,
  MIN_YEAR,
  parseDateRange,
  parseMonthRange,
} from '../lib/calendar-date'
import { createRouter } from '../lib/create-app'
import { dailyFiguresOf, loadDays, monthlyMetricsOf } from './metrics.service'

const route = guardedRoutes('Metrics')

/** Range caps: bound the work and the response of one request. */
export const MAX_DAYS = 400
export const MAX_MONTHS = 36

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
const RangeMetricsSchema = z.object(figures).openapi('RangeMetrics', {
  description: 'The whole range summed (the median pools every callback of the range).',
})
const MonthMetricsSchema = z.object({ month: z.string(), ...figures }).openapi('MonthMetrics')

const MonthFrom = CalendarMonthSchema.openapi({ example: '2026-01' })
const MonthTo = CalendarMonthSchema.openapi({ example: '2026-12' })

const DailyMetricsSchema = z
  .object({
    timezone: z.string(),
    days: z.array(DayMetricsSchema),
    total: RangeMetricsSchema,
    holdOut: HoldOutSchema,
  })
  .openapi('DailyMetrics')

const MonthlyMetricsSchema = z
  .object({ timezone: z.string(), months: z.array(MonthMetricsSchema), holdOut: HoldOutSchema })
  .openapi('MonthlyMetrics')

const dailyRoute = route('metrics:read', 'get /metrics/daily', {
  summary: 'Daily figures in the clinic time zone, every day of the range',
  description: `400 for an invalid date (years ${MIN_YEAR}–${MAX_YEAR}) or more than ${MAX_DAYS} days.`,
  request: {
    query: z.object({
      from: CalendarDateSchema.openapi({ example: '2026-11-01' }),
      to: CalendarDateSchema.openapi({ example: '2026-11-30' }),
    }),
  },
  responses: answers(200, DailyMetricsSchema, 'Daily figures', 400, 401, 403),
})

const monthlyRoute = route('metrics:read', 'get /metrics/monthly', {
  summary: 'Monthly figures in the clinic time zone, every month of the range',
  description: `400 for an invalid month (years ${MIN_YEAR}–${MAX_YEAR}) or more than ${MAX_MONTHS} months.`,
  request: { query: z.object({ from: MonthFrom, to: MonthTo }) },
  responses: answers(200, MonthlyMetricsSchema, 'Monthly figures', 400, 401, 403),
})

export const metricsRouter = createRouter()

metricsRouter.openapi(dailyRoute, async (c) => {
  const query = c.req.valid('query')
  const { from, to } = parseDateRange(query.from, query.to, MAX_DAYS)
  const stored = await loadDays(c.env, c.var.db, c.var.principal.clinicId, from, to, Date.now())
  return c.json(dailyFiguresOf(stored), 200)
})

metricsRouter.openapi(monthlyRoute, async (c) => {
  const query = c.req.valid('query')
  const { months } = parseMonthRange(query.from, query.to, MAX_MONTHS)
  return c.json(
    await monthlyMetricsOf(c.env, c.var.db, c.var.principal.clinicId, months, Date.now()),
    200,
  )
})
