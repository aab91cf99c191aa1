/**
 * Block 3's part in data rights. A student's exchanges with the tutor (their questions are their own
 * words) go with them, and are deleted after RETENTION_AI_INTERACTION_DAYS anyway. A teacher's agents,
 * sources and generated drafts are course material of the school and stay.
 */
import { AiAgent } from "../../models/ai-agent.model.js";
import { AiInteraction } from "../../models/ai-interaction.model.js";
import { AiUsage } from "../../models/ai-usage.model.js";
import { Chunk } from "../../models/chunk.model.js";
import { GeneratedContent } from "../../models/generated-content.model.js";
import { Source } from "../../models/source.model.js";
import { settings } from "../../config/env.js";
import { personalDataMixin } from "../shared/personal-data.js";

export const aiAgentsPersonalData = personalDataMixin("aiAgents", [{ section: "agents", model: AiAgent, owner: ["ownerId"], onUserErasure: "keep" }]);

export const aiSourcesPersonalData = personalDataMixin("aiSources", [
	// The documents themselves are course material; the archive lists them (their text can be large).
	{ section: "sources", model: Source, owner: ["ownerId"], omit: ["text", "data"], onUserErasure: "keep" },
	{ section: "chunks", model: Chunk, owner: [], noExport: true, onUserErasure: "keep" },
]);

export const aiTutorPersonalData = personalDataMixin("aiTutor", [
	{ section: "ai_exchanges", model: AiInteraction, owner: ["studentId"], omit: ["chunks"], onUserErasure: "delete", retention: { days: () => settings().ops.aiInteractionRetentionDays, field: "createdAt" } },
	{ section: "ai_usage", model: AiUsage, owner: [], noExport: true, onUserErasure: "keep" },
]);

export const aiGenerationPersonalData = personalDataMixin("aiGeneration", [{ section: "generated_drafts", model: GeneratedContent, owner: ["ownerId"], onUserErasure: "keep" }]);
