CREATE TABLE `automation_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`clinic_id` text NOT NULL,
	`automation_id` text NOT NULL,
	`event_key` text NOT NULL,
	`subject` text NOT NULL,
	`contact_hash` text,
	`due_at` integer NOT NULL,
	`status` text DEFAULT 'scheduled' NOT NULL,
	`outcome` text,
	`ran_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `automation_runs_event_uq` ON `automation_runs` (`automation_id`,`event_key`);--> statement-breakpoint
CREATE INDEX `automation_runs_list_idx` ON `automation_runs` (`clinic_id`,`automation_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `automations` (
	`id` text PRIMARY KEY NOT NULL,
	`clinic_id` text NOT NULL,
	`name` text NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`trigger` text NOT NULL,
	`delay_minutes` integer DEFAULT 0 NOT NULL,
	`conditions` text DEFAULT '[]' NOT NULL,
	`actions` text DEFAULT '[]' NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer
);
--> statement-breakpoint
CREATE INDEX `automations_trigger_idx` ON `automations` (`clinic_id`,`trigger`);--> statement-breakpoint
CREATE TABLE `scheduled_messages` (
	`id` text PRIMARY KEY NOT NULL,
	`clinic_id` text NOT NULL,
	`kind` text NOT NULL,
	`dedupe_key` text NOT NULL,
	`ref` text NOT NULL,
	`recipient_hash` text NOT NULL,
	`to_sealed` text,
	`body_sealed` text,
	`purpose` text NOT NULL,
	`due_at` integer NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`reason` text,
	`outbox_id` text,
	`created_at` integer NOT NULL,
	`updated_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `scheduled_messages_dedupe_uq` ON `scheduled_messages` (`clinic_id`,`dedupe_key`);--> statement-breakpoint
CREATE INDEX `scheduled_messages_due_idx` ON `scheduled_messages` (`clinic_id`,`status`,`due_at`);--> statement-breakpoint
CREATE INDEX `scheduled_messages_ref_idx` ON `scheduled_messages` (`clinic_id`,`ref`);--> statement-breakpoint
ALTER TABLE `appointments` ADD `cancelled_at` integer;--> statement-breakpoint
ALTER TABLE `clinics` ADD `reminders_enabled` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `clinics` ADD `reminder_offsets` text;--> statement-breakpoint
ALTER TABLE `clinics` ADD `reminder_template` text;--> statement-breakpoint
ALTER TABLE `clinics` ADD `follow_up_no_reply_hours` integer DEFAULT 4 NOT NULL;--> statement-breakpoint
ALTER TABLE `clinics` ADD `follow_up_template` text;--> statement-breakpoint
ALTER TABLE `clinics` ADD `follow_up_enquiry_hours` integer DEFAULT 48 NOT NULL;--> statement-breakpoint
ALTER TABLE `clinics` ADD `follow_up_weekly_cap` integer DEFAULT 2 NOT NULL;--> statement-breakpoint
ALTER TABLE `clinics` ADD `quiet_start` text DEFAULT '20:00' NOT NULL;--> statement-breakpoint
ALTER TABLE `clinics` ADD `quiet_end` text DEFAULT '08:00' NOT NULL;