// Invariants 1-4 and 6-8 over schedules 51-100 (simulation.test.ts has the rest).
import { describeSchedules, SCHEDULES } from './schedules.js';

describeSchedules(51, SCHEDULES);
