/**
 * The params schemas of invitations, classes, audit and subscriptions, compiled by the broker's own
 * validator (as `validator: true` does before every handler): bad input is refused before any code runs.
 */
import { expect } from "chai";
import { ServiceBroker } from "moleculer";
import AuditService from "../../services/users/audit.service.js";
import ClassesService from "../../services/users/classes.service.js";
import InvitationsService from "../../services/users/invitations.service.js";
import SubscriptionsService from "../../services/billing/subscriptions.service.js";

const broker = new ServiceBroker({ logger: false, validator: true });
const SERVICES: Record<string, any> = {
	audit: AuditService,
	classes: ClassesService,
	invitations: InvitationsService,
	subscriptions: SubscriptionsService,
};
const ID = "65a000000000000000000001";

function check(action: string, params: Record<string, unknown>): true | unknown[] {
	const [service, name] = action.split(".");
	const schema = SERVICES[service].actions[name].params;
	const result = (broker.validator as any).compile(schema)(params);
	return result === true ? true : (result as unknown[]);
}

const ok = (action: string, params: Record<string, unknown>) => expect(check(action, params), action).to.equal(true);
const bad = (action: string, params: Record<string, unknown>) => expect(check(action, params), `${action} ${JSON.stringify(params)}`).to.be.an("array");

describe("params of invitations, classes, audit, subscriptions", () => {
	it("invitations.create: an email, a known role, class ids", () => {
		ok("invitations.create", { email: "a@b.test", role: "teacher", classIds: [ID] });
		bad("invitations.create", { email: "not-an-email", role: "teacher" });
		bad("invitations.create", { email: "a@b.test", role: "platform_admin" });
		bad("invitations.create", { email: "a@b.test", role: "student", classIds: ["nope"] });
		bad("invitations.create", { email: "a@b.test", role: "student", classIds: [ID, ID] });
		bad("invitations.create", { email: `${"a".repeat(250)}@b.test`, role: "student" });
	});
	it("invitations.accept: a token of the right shape and a password", () => {
		ok("invitations.accept", { token: "a".repeat(43), password: "pw", firstName: "A", lastName: "B" });
		bad("invitations.accept", { token: "short", password: "pw" });
		bad("invitations.accept", { token: "a".repeat(43) + "$", password: "pw" });
		bad("invitations.accept", { token: "a".repeat(43) });
		bad("invitations.accept", { token: "a".repeat(43), password: "x".repeat(201) });
	});
	it("classes: names, member ids and the import mode", () => {
		ok("classes.create", { name: "6B", teacherIds: [ID] });
		bad("classes.create", { name: "" });
		bad("classes.create", { name: "x".repeat(121) });
		bad("classes.create", { name: "6B", studentIds: "all" });
		bad("classes.enrollStudents", { id: ID, studentIds: [] });
		bad("classes.get", { id: "../x" });
		ok("classes.import", { csv: "name\n6B", mode: "valid_only" });
		bad("classes.import", { csv: "name\n6B", mode: "some" });
		bad("classes.import", { csv: "", mode: "all_or_nothing" });
	});
	it("audit: bounded filters and record fields", () => {
		ok("audit.list", { action: "auth.login", page: 1, pageSize: 100 });
		bad("audit.list", { pageSize: 101 });
		bad("audit.list", { schoolId: "x" });
		ok("audit.record", { schoolId: null, actorId: null, action: "auth.loginFailed" });
		bad("audit.record", { schoolId: ID, actorId: "u" });
	});
	it("subscriptions: seat counts are positive integers, statuses known", () => {
		ok("subscriptions.reserveSeats", { schoolId: ID, count: 1 });
		bad("subscriptions.reserveSeats", { schoolId: ID, count: 0 });
		bad("subscriptions.reserveSeats", { schoolId: ID, count: 1.5 });
		bad("subscriptions.releaseSeats", { schoolId: ID, count: -1 });
		bad("subscriptions.setStatus", { schoolId: ID, status: "paused" });
		bad("subscriptions.changePlan", { id: ID, plan: "" });
		bad("subscriptions.changePlan", { id: ID, plan: "trial", seatLimit: -1 });
		bad("subscriptions.check", { seats: 0 });
	});
});
