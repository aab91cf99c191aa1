/**
 * Every model goes through here so all share the same conventions: timestamps, ids and ObjectIds
 * serialised as hex strings (services exchange plain JSON, also over NATS), no version key in output.
 */
import mongoose, { Schema, type Model, type SchemaDefinition, type SchemaOptions } from "mongoose";

export function defineSchema(definition: SchemaDefinition, options: SchemaOptions = {}): Schema {
	return new Schema(definition, {
		timestamps: true,
		toJSON: { flattenObjectIds: true, versionKey: false },
		toObject: { flattenObjectIds: true, versionKey: false },
		...options,
	});
}

export function defineModel<T = any>(name: string, schema: Schema): Model<T> {
	// Re-importing a module (tests, hot reload) must not recompile the model.
	return ((mongoose.models[name] as Model<T> | undefined) ?? mongoose.model(name, schema)) as Model<T>;
}

/** A sub-document schema: embedded parts carry no `_id` of their own. */
export function part(definition: SchemaDefinition): Schema {
	return new Schema(definition, { _id: false });
}

export const ObjectId = Schema.Types.ObjectId;
export const { isValidObjectId } = mongoose;

/**
 * A length limit in characters (code points), as the API counts them: mongoose's `maxlength` counts
 * UTF-16 units, so a name of 100 emoji (200 units) would pass validation and then fail here.
 */
export function maxChars(limit: number) {
	return {
		validator: (value: unknown) => typeof value !== "string" || value.length <= limit || Array.from(value).length <= limit,
		message: `{PATH} is longer than ${limit} characters`,
	};
}
