import { expect } from "chai";
import mongoose from "mongoose";
import { findByIds } from "../../services/shared/by-ids.js";
import { bootPlatform, unique } from "../support/platform.js";

describe("reads by id (services/shared/by-ids.ts)", () => {
	const Probe = mongoose.models.ByIdsProbe ?? mongoose.model("ByIdsProbe", new mongoose.Schema({ _id: String, schoolId: String, n: Number, secret: String }));
	const schoolA = unique("a");
	const schoolB = unique("b");
	const ids = ["k3", "k1", "k2"].map(k => `${schoolA}-${k}`);

	before(async () => {
		await bootPlatform();
		await Probe.insertMany([...ids.map((_id, n) => ({ _id, schoolId: schoolA, n, secret: "s" })), { _id: `${schoolB}-k9`, schoolId: schoolB, n: 9, secret: "s" }]);
	});

	it("answers the school's documents in _id order, leaving out unknown ids and another school's", async () => {
		const found = await findByIds<any>(Probe, [...ids, `${schoolB}-k9`, "missing", ids[0]], schoolA, { lean: true });
		expect(found.map(d => d._id)).to.deep.equal([...ids].sort());
		expect(await findByIds(Probe, [`${schoolB}-k9`], schoolA)).to.deep.equal([]);
		expect(await findByIds(Probe, [], schoolA)).to.deep.equal([]);
	});

	it("applies an inclusive projection and still checks the school", async () => {
		const [doc] = await findByIds<any>(Probe, [ids[0]], schoolA, { projection: { n: 1 }, lean: true });
		expect(doc).to.include({ _id: ids[0], n: 0 });
		expect(doc).not.to.have.property("secret");
		expect(await findByIds(Probe, [`${schoolB}-k9`], schoolA, { projection: { n: 1 } })).to.deep.equal([]);
	});

	it("adds the caller's extra conditions to the same query", async () => {
		const found = await findByIds<any>(Probe, ids, schoolA, { where: { n: { $gte: 1 } }, lean: true });
		expect(found.map(d => d.n).sort()).to.deep.equal([1, 2]);
	});
});
