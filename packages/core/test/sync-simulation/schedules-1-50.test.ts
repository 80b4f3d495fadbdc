// Invariants 1-4 and 6-8 over schedules 1-50 (schedules-51-100.test.ts has the others; simulation.test.ts the rest of the simulation).
import { describeSchedules } from './schedules.js';

describeSchedules(1, 50);
