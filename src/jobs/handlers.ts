/** Which handler runs each job type. */
import type { JobHandlers } from './consumer'

export const jobHandlers: JobHandlers = {
  'text-back': {
    run: async () => {
      throw new Error('text-back handler not implemented yet')
    },
    deadLetter: async () => {},
  },
}
