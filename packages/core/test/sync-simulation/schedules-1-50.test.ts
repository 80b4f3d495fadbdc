// Invariants 1-4 and 6-8 over schedules 1-50 (simulation.test.ts has the rest).
import { describeSchedules } from './schedules.js';

describeSchedules(1, 50);
