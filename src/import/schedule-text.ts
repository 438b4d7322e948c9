import { parseSchedule } from '../domain/schedule.js';

/** null when `text` is a schedule the scheduler understands; else what is wrong with it. */
export function parseScheduleText(text: string): string | null {
  try {
    parseSchedule(text);
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
