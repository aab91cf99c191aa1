/**
 * `learning.path.changed`: a path as it now is (owner, name, subject, status, who is assigned, its steps'
 * items), published after every stored change; `paths.export` replays the current state of every path the
 * same way. Reporting keeps the latest it has seen (by `occurredAt`, the path's `updatedAt`).
 */
import { allItemIds, type Step } from "./path-rules.js";

export interface PathState {
	id: string;
	schoolId: string;
	ownerId: string;
	name: string;
	subject: string;
	status: string;
	classIds: string[];
	studentIds: string[];
	steps: Step[];
	updatedAt?: Date | string;
}

export function pathChangedMessage(path: PathState) {
	const occurredAt = new Date(path.updatedAt ?? Date.now()).toISOString();
	return {
		id: `learning.path.changed:${path.id}:${occurredAt}`,
		schoolId: String(path.schoolId),
		occurredAt,
		pathId: String(path.id),
		ownerId: String(path.ownerId),
		name: path.name,
		subject: path.subject,
		status: path.status,
		classIds: (path.classIds ?? []).map(String),
		studentIds: (path.studentIds ?? []).map(String),
		stepCount: path.steps.length,
		itemIds: allItemIds(path.steps).map(String),
	};
}
