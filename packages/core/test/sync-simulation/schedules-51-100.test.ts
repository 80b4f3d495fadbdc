// Invariants 1-4 and 6-8 over schedules 51-100 (schedules-1-50.test.ts has the others; simulation.test.ts the rest of the simulation).
import { describeSchedules, SCHEDULES } from './schedules.js';

describeSchedules(51, SCHEDULES);
