/**
 * Leases of the communication services (see services/shared/lease.ts): the tick that fires reminders and
 * closes rooms runs on one node at a time, and bookings of one person are checked and written one at a time.
 */
import { leaseModel } from "./lease.model.js";

export const CommunicationLease = leaseModel("CommunicationLease");
