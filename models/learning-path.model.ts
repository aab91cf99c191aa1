/**
 * A learning path with its steps embedded, so a path and its steps are written in one atomic document
 * operation (creation, reordering, replacing the steps). Owned by services/learning/paths.service.ts.
 * Ids inside the path (steps, items, prerequisites) are hex strings: steps get their id from the service,
 * items are content ids of the same school.
 */
import { leaseModel } from "./lease.model.js";
import { defineModel, defineSchema, ObjectId, part, maxChars } from "./define.js";

export const PATH_STATUSES = ["draft", "active", "archived"] as const;
export type PathStatus = (typeof PATH_STATUSES)[number];

const StepSchema = part({
	id: { type: String, required: true },
	title: { type: String, required: true, trim: true, validate: maxChars(200) },
	kind: { type: String, enum: ["revision", "evaluation"], required: true, default: "revision" },
	itemIds: { type: [String], default: [] },
	prerequisites: { type: [String], default: [] },
	availableFrom: { type: Date, default: null },
	availableUntil: { type: Date, default: null },
	completion: {
		type: part({ type: { type: String, enum: ["mastery", "all_reviewed", "passed"], required: true }, threshold: { type: Number, default: null } }),
		required: true,
	},
	evaluation: {
		type: part({ timeLimitSeconds: Number, maxAttempts: Number, passScore: Number }),
		default: null,
	},
});

export const LearningPathSchema = defineSchema({
	schoolId: { type: ObjectId, required: true, index: true },
	ownerId: { type: ObjectId, required: true },
	name: { type: String, required: true, trim: true, validate: maxChars(200) },
	objectives: { type: [String], default: [] },
	subject: { type: String, required: true, trim: true, validate: maxChars(100) },
	status: { type: String, enum: PATH_STATUSES, required: true, default: "draft" },
	studentIds: { type: [ObjectId], default: [] },
	classIds: { type: [ObjectId], default: [] },
	settings: {
		type: part({ practiceAllowed: { type: Boolean, default: false } }),
		default: () => ({ practiceAllowed: false }),
	},
	steps: { type: [StepSchema], default: [] },
	activatedAt: { type: Date, default: null },
	archivedAt: { type: Date, default: null },
});
LearningPathSchema.index({ schoolId: 1, ownerId: 1 });
LearningPathSchema.index({ schoolId: 1, status: 1 });
LearningPathSchema.index({ schoolId: 1, studentIds: 1 });
LearningPathSchema.index({ schoolId: 1, classIds: 1 });
LearningPathSchema.index({ schoolId: 1, "steps.itemIds": 1 });

export const LearningPath = defineModel("LearningPath", LearningPathSchema);
/**
 * Held while a school's active paths change, so the plan's limit (a count across path documents, which no
 * single-document update can guard) holds under concurrent activations.
 */
export const LearningPathLease = leaseModel("LearningPathLease");
