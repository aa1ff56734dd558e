CREATE TABLE `ai_usage` (
	`clinic_id` text NOT NULL,
	`month` text NOT NULL,
	`replies` integer DEFAULT 0 NOT NULL,
	`input_tokens` integer DEFAULT 0 NOT NULL,
	`output_tokens` integer DEFAULT 0 NOT NULL,
	`updated_at` integer,
	PRIMARY KEY(`clinic_id`, `month`)
);
--> statement-breakpoint
CREATE TABLE `conversation_messages` (
	`id` text PRIMARY KEY NOT NULL,
	`clinic_id` text NOT NULL,
	`conversation_id` text NOT NULL,
	`direction` text NOT NULL,
	`author` text NOT NULL,
	`user_id` text,
	`body_sealed` text NOT NULL,
	`status` text NOT NULL,
	`dedupe_key` text NOT NULL,
	`outbox_id` text,
	`provider_sid` text,
	`triage` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `conversation_messages_dedupe_uq` ON `conversation_messages` (`clinic_id`,`dedupe_key`);--> statement-breakpoint
CREATE INDEX `conversation_messages_thread_idx` ON `conversation_messages` (`conversation_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `conversation_messages_provider_sid_idx` ON `conversation_messages` (`provider_sid`);--> statement-breakpoint
CREATE TABLE `conversations` (
	`id` text PRIMARY KEY NOT NULL,
	`clinic_id` text NOT NULL,
	`channel` text NOT NULL,
	`contact_hash` text NOT NULL,
	`contact_sealed` text,
	`display_name_sealed` text,
	`phone_masked` text,
	`tracking_number_id` text,
	`status` text DEFAULT 'ai' NOT NULL,
	`priority_score` integer DEFAULT 0 NOT NULL,
	`priority_reasons` text DEFAULT '[]' NOT NULL,
	`assigned_to` text,
	`last_message_at` integer NOT NULL,
	`last_inbound_at` integer,
	`read_up_to` integer DEFAULT 0 NOT NULL,
	`unread_count` integer DEFAULT 0 NOT NULL,
	`ai_disclosed` integer DEFAULT false NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `conversations_contact_uq` ON `conversations` (`clinic_id`,`contact_hash`,`channel`);--> statement-breakpoint
CREATE INDEX `conversations_inbox_idx` ON `conversations` (`clinic_id`,`status`,`last_message_at`);--> statement-breakpoint
CREATE INDEX `conversations_last_idx` ON `conversations` (`last_message_at`);--> statement-breakpoint
ALTER TABLE `calls` ADD `resolution_outcome` text;--> statement-breakpoint
ALTER TABLE `calls` ADD `resolved_at` integer;--> statement-breakpoint
ALTER TABLE `calls` ADD `resolved_by` text;--> statement-breakpoint
ALTER TABLE `clinics` ADD `address` text;--> statement-breakpoint
ALTER TABLE `clinics` ADD `opening_hours` text;--> statement-breakpoint
ALTER TABLE `clinics` ADD `booking_url` text;