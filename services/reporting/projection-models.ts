/** Every model reporting owns: the rebuild clears a generation across them, the services create their indexes. */
import { ReportingActivity } from "../../models/reporting-activity.model.js";
import { ReportingBatch } from "../../models/reporting-batch.model.js";
import { ReportingBucket } from "../../models/reporting-bucket.model.js";
import { ReportingClass } from "../../models/reporting-class.model.js";
import { ReportingGeneration } from "../../models/reporting-generation.model.js";
import { ReportingInvoice } from "../../models/reporting-invoice.model.js";
import { ReportingLiveSession } from "../../models/reporting-live-session.model.js";
import { ReportingMarker } from "../../models/reporting-marker.model.js";
import { ReportingMastery } from "../../models/reporting-mastery.model.js";
import { ReportingPath } from "../../models/reporting-path.model.js";
import { ReportingPerson } from "../../models/reporting-person.model.js";
import { ReportingProgress } from "../../models/reporting-progress.model.js";
import { ReportingSchool } from "../../models/reporting-school.model.js";

/** Per generation of a school: a rebuild fills a new one and drops the old. */
export const GENERATION_MODELS = [ReportingBucket, ReportingActivity, ReportingMastery, ReportingPerson, ReportingClass, ReportingPath, ReportingProgress, ReportingLiveSession, ReportingMarker] as const;

export const PROJECTION_MODELS = [...GENERATION_MODELS, ReportingGeneration, ReportingSchool, ReportingInvoice, ReportingBatch] as const;
