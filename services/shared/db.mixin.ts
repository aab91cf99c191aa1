/**
 * The one way services reach MongoDB: moleculer-db with its mongoose adapter on the process-wide
 * connection, plus tenant-scoped helpers. Every helper adds `schoolId` from `ctx.meta.user` to the
 * filter (and to inserted documents), overriding anything the caller passed, so a service cannot
 * forget the tenant. moleculer-db's generic actions are switched off: no client ever passes a Mongo
 * query, a populate or a field list of its own.
 */
import DbService from "moleculer-db";
import MongooseAdapter from "moleculer-db-adapter-mongoose";
import type { Model } from "mongoose";
import mongoose from "mongoose";
import type { ServiceSchema } from "moleculer";
import { settings } from "../../config/env.js";
import { notFound } from "./errors.js";
import { callerSchoolId, type Ctx } from "./identity.js";
import { acquireConnection, releaseConnection } from "./mongo-connection.js";
import { findByIds, type ByIdsOptions } from "./by-ids.js";

class SharedConnectionAdapter extends (MongooseAdapter as any) {
	async connect(this: any): Promise<void> {
		// Read at connect time: the embedded default fills MONGO_URL in only after the modules load.
		const uri = settings().mongoUrl;
		if (!uri) throw new Error("MONGO_URL is not set and no embedded MongoDB was started");
		this.conn = await acquireConnection(uri);
		this.model = this.conn.models[this.model.modelName] ?? this.conn.model(this.model.modelName, this.model.schema);
		this.db = this.conn.db;
	}
	async disconnect(): Promise<void> {
		await releaseConnection();
	}
}

export type Filter = Record<string, unknown>;

export interface PageParams {
	page?: number;
	pageSize?: number;
	sort?: string;
}

export interface Page<T> {
	rows: T[];
	total: number;
	page: number;
	pageSize: number;
	totalPages: number;
}

// Kept here too so the services that import it from the mixin keep working.
export { PAGE_PARAMS } from "./params.js";

export interface DbMethods {
	model: Model<any>;
	tenantFilter(ctx: Ctx<any>, filter?: Filter): Filter;
	toJSON(ctx: Ctx<any>, docs: any): Promise<any>;
	findScoped(ctx: Ctx<any>, filter?: Filter, sort?: Record<string, 1 | -1>): Promise<any[]>;
	pageScoped(ctx: Ctx<any>, filter: Filter, page: PageParams, sort?: Record<string, 1 | -1>): Promise<Page<any>>;
	getScoped(ctx: Ctx<any>, id: string, extra?: Filter): Promise<any>;
	byIdsScoped(ctx: Ctx<any>, ids: readonly unknown[], opts?: ByIdsOptions): Promise<any[]>;
	insertScoped(ctx: Ctx<any>, doc: Record<string, unknown>): Promise<any>;
	updateScoped(ctx: Ctx<any>, id: string, update: Record<string, unknown>, extra?: Filter): Promise<any>;
	removeScoped(ctx: Ctx<any>, id: string, extra?: Filter): Promise<any>;
	pageOf(ctx: Ctx<any>, filter: Filter, page: PageParams, sort?: Record<string, 1 | -1>): Promise<Page<any>>;
	entityChanged(type: "created" | "updated" | "removed", json: any, ctx: Ctx<any>, raw?: any): Promise<void>;
}

export interface DbMixinOptions {
	/** Fields a client may see (moleculer-db `settings.fields`). */
	fields: string[];
	/** Whether documents belong to a school (almost all do). */
	tenant?: boolean;
}

const DISABLED_ACTIONS = ["find", "count", "list", "create", "insert", "get", "update", "remove"];

export function dbMixin(model: Model<any>, options: DbMixinOptions): Partial<ServiceSchema<any>> {
	const tenant = options.tenant ?? true;
	// moleculer-db reads `adapter` and `model` from the schema; moleculer's types do not know them.
	const schema = {
		mixins: [DbService as unknown as ServiceSchema],
		adapter: new SharedConnectionAdapter(),
		model,
		settings: { idField: "id", fields: options.fields, pageSize: 20, maxPageSize: 100 },
		actions: Object.fromEntries(DISABLED_ACTIONS.map(name => [name, false])),
		methods: {
			/** Filter confined to the caller's school; the caller's own values for schoolId are overwritten. */
			tenantFilter(this: any, ctx: Ctx<any>, filter: Filter = {}): Filter {
				return tenant ? { ...filter, schoolId: callerSchoolId(ctx) } : { ...filter };
			},

			toJSON(this: any, ctx: Ctx<any>, docs: any): Promise<any> {
				return this.transformDocuments(ctx, {}, docs);
			},

			async findScoped(this: any, ctx: Ctx<any>, filter: Filter = {}, sort = { _id: 1 }) {
				const docs = await this.model.find(this.tenantFilter(ctx, filter)).sort(sort);
				return this.toJSON(ctx, docs);
			},

			pageScoped(this: any, ctx: Ctx<any>, filter: Filter, page: PageParams, sort = { _id: -1 }) {
				return this.pageOf(ctx, this.tenantFilter(ctx, filter), page, sort);
			},

			/** Pagination over an explicit filter; callers pass a tenant filter unless they are platform-wide. */
			async pageOf(this: any, ctx: Ctx<any>, filter: Filter, page: PageParams, sort = { _id: -1 }) {
				const pageSize = Math.min(page.pageSize ?? 20, 100);
				const pageNo = page.page ?? 1;
				const [docs, total] = await Promise.all([
					this.model.find(filter).sort(sort).skip((pageNo - 1) * pageSize).limit(pageSize),
					this.model.countDocuments(filter),
				]);
				return {
					rows: await this.toJSON(ctx, docs),
					total,
					page: pageNo,
					pageSize,
					totalPages: Math.ceil(total / pageSize),
				};
			},

			/** A document of the caller's school, or 404 (another school's id looks exactly like a missing one). */
			async getScoped(this: any, ctx: Ctx<any>, id: string, extra: Filter = {}) {
				const doc = mongoose.isValidObjectId(id) ? await this.model.findOne(this.tenantFilter(ctx, { ...extra, _id: id })) : null;
				if (!doc) throw notFound(this.model.modelName, id);
				return this.toJSON(ctx, doc);
			},

			/** Raw documents of the caller's school by id (in _id order; unknown and foreign ids left out). */
			byIdsScoped(this: any, ctx: Ctx<any>, ids: readonly unknown[], opts?: ByIdsOptions) {
				return findByIds(this.model, ids, callerSchoolId(ctx), opts);
			},

			async insertScoped(this: any, ctx: Ctx<any>, doc: Record<string, unknown>) {
				const created = await this.model.create(tenant ? { ...doc, schoolId: callerSchoolId(ctx) } : doc);
				const json = await this.toJSON(ctx, created);
				await this.entityChanged("created", json, ctx, created);
				return json;
			},

			/** One atomic findOneAndUpdate inside the caller's school; `extra` adds preconditions. */
			async updateScoped(this: any, ctx: Ctx<any>, id: string, update: Record<string, unknown>, extra: Filter = {}) {
				const doc = mongoose.isValidObjectId(id)
					? await this.model.findOneAndUpdate(this.tenantFilter(ctx, { ...extra, _id: id }), update, {
							new: true,
							runValidators: true,
						})
					: null;
				if (!doc) throw notFound(this.model.modelName, id);
				const json = await this.toJSON(ctx, doc);
				await this.entityChanged("updated", json, ctx, doc);
				return json;
			},

			async removeScoped(this: any, ctx: Ctx<any>, id: string, extra: Filter = {}) {
				const doc = mongoose.isValidObjectId(id)
					? await this.model.findOneAndDelete(this.tenantFilter(ctx, { ...extra, _id: id }))
					: null;
				if (!doc) throw notFound(this.model.modelName, id);
				const json = await this.toJSON(ctx, doc);
				await this.entityChanged("removed", json, ctx, doc);
				return json;
			},
		},
		created(this: any) {
			// moleculer-db keeps the model on the adapter; services use it through `this.model`.
			this.model = model;
		},
		async started(this: any) {
			await this.model.init();
		},
	};
	return schema as Partial<ServiceSchema<any>>;
}
