CREATE TABLE `enquiries` (
	`id` text PRIMARY KEY NOT NULL,
	`clinic_id` text NOT NULL,
	`form_id` text NOT NULL,
	`lead_id` text NOT NULL,
	`kind` text NOT NULL,
	`message_sealed` text,
	`treatment` text,
	`preferred_time_sealed` text,
	`scorecard` text,
	`consent` text NOT NULL,
	`attribution` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `enquiries_lead_idx` ON `enquiries` (`clinic_id`,`lead_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `enquiries_created_idx` ON `enquiries` (`created_at`);--> statement-breakpoint
CREATE TABLE `forms` (
	`id` text PRIMARY KEY NOT NULL,
	`clinic_id` text NOT NULL,
	`kind` text NOT NULL,
	`name` text NOT NULL,
	`allowed_origins` text DEFAULT '[]' NOT NULL,
	`guide_url` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer,
	FOREIGN KEY (`clinic_id`) REFERENCES `clinics`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `forms_clinic_idx` ON `forms` (`clinic_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `lead_events` (
	`id` text PRIMARY KEY NOT NULL,
	`clinic_id` text NOT NULL,
	`lead_id` text NOT NULL,
	`kind` text NOT NULL,
	`ref` text,
	`details` text,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `lead_events_ref_uq` ON `lead_events` (`clinic_id`,`lead_id`,`kind`,`ref`);--> statement-breakpoint
CREATE INDEX `lead_events_lead_idx` ON `lead_events` (`clinic_id`,`lead_id`,`at`);--> statement-breakpoint
CREATE TABLE `lead_photos` (
	`id` text PRIMARY KEY NOT NULL,
	`clinic_id` text NOT NULL,
	`lead_id` text NOT NULL,
	`enquiry_id` text NOT NULL,
	`r2_key` text NOT NULL,
	`content_type` text NOT NULL,
	`bytes` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `lead_photos_lead_idx` ON `lead_photos` (`clinic_id`,`lead_id`);--> statement-breakpoint
CREATE TABLE `leads` (
	`id` text PRIMARY KEY NOT NULL,
	`clinic_id` text NOT NULL,
	`phone_hash` text,
	`email_hash` text,
	`name_sealed` text,
	`phone_sealed` text,
	`email_sealed` text,
	`name_initials` text,
	`phone_masked` text,
	`email_masked` text,
	`status` text DEFAULT 'new' NOT NULL,
	`assigned_to` text,
	`source_kind` text NOT NULL,
	`source_form_id` text,
	`source_channel` text,
	`attribution` text,
	`consent` text,
	`treatment` text,
	`last_kind` text NOT NULL,
	`last_interaction_at` integer NOT NULL,
	`last_reply_at` integer,
	`appointment_id` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `leads_phone_uq` ON `leads` (`clinic_id`,`phone_hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `leads_email_uq` ON `leads` (`clinic_id`,`email_hash`);--> statement-breakpoint
CREATE INDEX `leads_list_idx` ON `leads` (`clinic_id`,`last_interaction_at`);--> statement-breakpoint
CREATE INDEX `leads_last_idx` ON `leads` (`last_interaction_at`);