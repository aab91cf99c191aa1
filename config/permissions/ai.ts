import { INTERNAL, type PermissionTable } from "./types.js";

const MANAGERS = ["school_admin", "teacher"] as const;

/**
 * Block 3 (AI): agents, sources, retrieval, tutor, generation, usage; see docs/AI.md. Resource rules (a
 * teacher manages only their own agents and sources, attaches them only to their own paths; a student asks
 * only on paths assigned to them and reads only their own exchanges) are checked by the services.
 */
export const aiPermissions: PermissionTable = {
	"aiAgents.create": MANAGERS,
	"aiAgents.list": MANAGERS,
	"aiAgents.get": MANAGERS,
	"aiAgents.update": MANAGERS,
	"aiAgents.remove": MANAGERS,
	"aiAgents.forPath": INTERNAL,

	"aiSources.create": MANAGERS,
	"aiSources.list": MANAGERS,
	"aiSources.get": MANAGERS,
	"aiSources.update": MANAGERS,
	"aiSources.replaceContent": MANAGERS,
	"aiSources.reingest": MANAGERS,
	"aiSources.remove": MANAGERS,
	"aiSources.chunks": MANAGERS,
	"aiSources.search": MANAGERS,
	"aiSources.checkSelectable": INTERNAL,
	"aiSources.retrieve": INTERNAL,
	"aiSources.chunksOf": INTERNAL,

	"aiTutor.ask": ["student"],
	"aiTutor.interactions": ["school_admin", "teacher", "student"],
	"aiTutor.interaction": ["school_admin", "teacher", "student"],
	"aiTutor.recommendations": ["school_admin", "teacher", "student"],
	"aiTutor.usage": MANAGERS,
	"aiTutor.countUsage": INTERNAL,
	"aiTutor.checkQuota": INTERNAL,

	"aiGeneration.items": MANAGERS,
	"aiGeneration.path": MANAGERS,
	"aiGeneration.list": MANAGERS,
	"aiGeneration.get": MANAGERS,
	"aiGeneration.reject": MANAGERS,
};
