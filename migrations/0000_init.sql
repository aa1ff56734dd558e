CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`clinic_id` text NOT NULL,
	`name` text NOT NULL,
	`key_hash` text NOT NULL,
	`prefix` text NOT NULL,
	`created_by` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`last_used_at` integer,
	`revoked_at` integer,
	FOREIGN KEY (`clinic_id`) REFERENCES `clinics`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_hash_uq` ON `api_keys` (`key_hash`);--> statement-breakpoint
CREATE INDEX `api_keys_clinic_idx` ON `api_keys` (`clinic_id`);--> statement-breakpoint
CREATE TABLE `appointments` (
	`id` text PRIMARY KEY NOT NULL,
	`clinic_id` text NOT NULL,
	`caller_hash` text,
	`external_id` text,
	`created_at` integer NOT NULL,
	`scheduled_for` integer,
	`treatment_id` text,
	`value_pence` integer,
	`attribution_status` text DEFAULT 'unattributed' NOT NULL,
	`attributed_call_id` text,
	`attribution_path` text,
	`rule_version` integer,
	`settled_at` integer,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `appointments_clinic_external_uq` ON `appointments` (`clinic_id`,`external_id`);--> statement-breakpoint
CREATE INDEX `appointments_clinic_created_idx` ON `appointments` (`clinic_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `appointments_clinic_caller_idx` ON `appointments` (`clinic_id`,`caller_hash`);--> statement-breakpoint
CREATE TABLE `auth_tokens` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`user_id` text NOT NULL,
	`clinic_id` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `calls` (
	`id` text PRIMARY KEY NOT NULL,
	`clinic_id` text NOT NULL,
	`call_sid` text NOT NULL,
	`tracking_number_id` text,
	`direction` text NOT NULL,
	`caller_hash` text,
	`caller_kind` text NOT NULL,
	`started_at` integer NOT NULL,
	`status` text DEFAULT 'ringing' NOT NULL,
	`dial_outcome` text,
	`final_call_status` text,
	`screening_accepted` integer DEFAULT false NOT NULL,
	`voicemail_seconds` integer,
	`recording_key` text,
	`duration_seconds` integer,
	`ended_at` integer,
	`called_back_at` integer,
	`callback_call_id` text,
	`text_back_status` text DEFAULT 'none' NOT NULL,
	`text_back_reason` text,
	`texted_back_at` integer,
	`recovered_appointment_id` text,
	`updated_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `calls_clinic_sid_uq` ON `calls` (`clinic_id`,`call_sid`);--> statement-breakpoint
CREATE INDEX `calls_clinic_started_idx` ON `calls` (`clinic_id`,`started_at`);--> statement-breakpoint
CREATE INDEX `calls_clinic_caller_idx` ON `calls` (`clinic_id`,`caller_hash`,`started_at`);--> statement-breakpoint
CREATE INDEX `calls_started_idx` ON `calls` (`started_at`);--> statement-breakpoint
CREATE TABLE `clinic_keys` (
	`clinic_id` text NOT NULL,
	`version` integer NOT NULL,
	`wrapped_key` text NOT NULL,
	`kek_id` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`retired_at` integer,
	PRIMARY KEY(`clinic_id`, `version`)
);
--> statement-breakpoint
CREATE TABLE `clinics` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`timezone` text DEFAULT 'Europe/London' NOT NULL,
	`country` text DEFAULT 'GB' NOT NULL,
	`ring_timeout_seconds` integer DEFAULT 20 NOT NULL,
	`attribution_window_days` integer DEFAULT 14 NOT NULL,
	`default_appointment_value_pence` integer DEFAULT 15000 NOT NULL,
	`text_back_enabled` integer DEFAULT true NOT NULL,
	`text_back_template` text,
	`hold_out_percent` integer DEFAULT 0 NOT NULL,
	`call_screening` integer DEFAULT false NOT NULL,
	`retention_call_days` integer DEFAULT 90 NOT NULL,
	`retention_recording_days` integer DEFAULT 365 NOT NULL,
	`retention_enquiry_days` integer DEFAULT 730 NOT NULL,
	`plan` text,
	`billing_status` text,
	`contract_ends_at` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer
);
--> statement-breakpoint
CREATE TABLE `daily_metrics` (
	`clinic_id` text NOT NULL,
	`date` text NOT NULL,
	`inbound_calls` integer DEFAULT 0 NOT NULL,
	`missed_calls` integer DEFAULT 0 NOT NULL,
	`answered_calls` integer DEFAULT 0 NOT NULL,
	`voicemails` integer DEFAULT 0 NOT NULL,
	`callbacks` integer DEFAULT 0 NOT NULL,
	`text_backs` integer DEFAULT 0 NOT NULL,
	`callback_seconds_json` text DEFAULT '[]' NOT NULL,
	`recovered_appointments` integer DEFAULT 0 NOT NULL,
	`recovered_revenue_pence` integer DEFAULT 0 NOT NULL,
	`held_out_missed_calls` integer DEFAULT 0 NOT NULL,
	`held_out_recovered` integer DEFAULT 0 NOT NULL,
	`text_back_missed_calls` integer DEFAULT 0 NOT NULL,
	`text_back_recovered` integer DEFAULT 0 NOT NULL,
	`updated_at` integer,
	PRIMARY KEY(`clinic_id`, `date`)
);
--> statement-breakpoint
CREATE TABLE `inbound_messages` (
	`id` text PRIMARY KEY NOT NULL,
	`clinic_id` text NOT NULL,
	`message_sid` text NOT NULL,
	`channel` text NOT NULL,
	`sender_hash` text NOT NULL,
	`body_sealed` text,
	`received_at` integer NOT NULL,
	`in_reply_to_call_id` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `inbound_clinic_sid_uq` ON `inbound_messages` (`clinic_id`,`message_sid`);--> statement-breakpoint
CREATE INDEX `inbound_clinic_sender_idx` ON `inbound_messages` (`clinic_id`,`sender_hash`,`received_at`);--> statement-breakpoint
CREATE INDEX `inbound_received_idx` ON `inbound_messages` (`received_at`);--> statement-breakpoint
CREATE TABLE `login_throttle` (
	`key` text PRIMARY KEY NOT NULL,
	`failures` integer DEFAULT 0 NOT NULL,
	`window_started_at` integer NOT NULL,
	`locked_until` integer
);
--> statement-breakpoint
CREATE TABLE `opt_outs` (
	`clinic_id` text NOT NULL,
	`contact_hash` text NOT NULL,
	`opted_out` integer NOT NULL,
	`keyword` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`clinic_id`, `contact_hash`)
);
--> statement-breakpoint
CREATE TABLE `outbound_messages` (
	`id` text PRIMARY KEY NOT NULL,
	`clinic_id` text NOT NULL,
	`dedupe_key` text NOT NULL,
	`kind` text NOT NULL,
	`channel` text NOT NULL,
	`call_id` text,
	`recipient_hash` text,
	`to_sealed` text,
	`to_masked` text NOT NULL,
	`body_sealed` text NOT NULL,
	`status` text DEFAULT 'queued' NOT NULL,
	`provider_sid` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`sent_at` integer,
	`updated_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `outbound_dedupe_uq` ON `outbound_messages` (`clinic_id`,`dedupe_key`);--> statement-breakpoint
CREATE INDEX `outbound_clinic_created_idx` ON `outbound_messages` (`clinic_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `outbound_recipient_idx` ON `outbound_messages` (`clinic_id`,`recipient_hash`,`created_at`);--> statement-breakpoint
CREATE INDEX `outbound_provider_sid_idx` ON `outbound_messages` (`provider_sid`);--> statement-breakpoint
CREATE TABLE `privacy_requests` (
	`id` text PRIMARY KEY NOT NULL,
	`clinic_id` text NOT NULL,
	`type` text NOT NULL,
	`status` text DEFAULT 'received' NOT NULL,
	`subject_hash` text,
	`email_lookup` text,
	`details_sealed` text,
	`requested_by` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`due_at` integer NOT NULL,
	`completed_at` integer,
	`result_json` text
);
--> statement-breakpoint
CREATE INDEX `privacy_requests_clinic_idx` ON `privacy_requests` (`clinic_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `purge_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`clinic_id` text,
	`job` text NOT NULL,
	`ran_at` integer NOT NULL,
	`cutoff` integer NOT NULL,
	`deleted_json` text NOT NULL,
	`status` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `purge_runs_clinic_idx` ON `purge_runs` (`clinic_id`,`ran_at`);--> statement-breakpoint
CREATE TABLE `sessions` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`clinic_id` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`expires_at` integer NOT NULL,
	`last_seen_at` integer,
	`revoked_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `sessions_user_idx` ON `sessions` (`user_id`);--> statement-breakpoint
CREATE TABLE `subject_restrictions` (
	`clinic_id` text NOT NULL,
	`subject_hash` text NOT NULL,
	`restricted` integer DEFAULT false NOT NULL,
	`objected` integer DEFAULT false NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`clinic_id`, `subject_hash`)
);
--> statement-breakpoint
CREATE TABLE `tracking_numbers` (
	`id` text PRIMARY KEY NOT NULL,
	`clinic_id` text NOT NULL,
	`phone_number` text NOT NULL,
	`forward_to` text NOT NULL,
	`label` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`clinic_id`) REFERENCES `clinics`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tracking_numbers_phone_uq` ON `tracking_numbers` (`phone_number`);--> statement-breakpoint
CREATE INDEX `tracking_numbers_clinic_idx` ON `tracking_numbers` (`clinic_id`);--> statement-breakpoint
CREATE TABLE `treatments` (
	`id` text PRIMARY KEY NOT NULL,
	`clinic_id` text NOT NULL,
	`name` text NOT NULL,
	`value_pence` integer NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`clinic_id`) REFERENCES `clinics`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `treatments_clinic_idx` ON `treatments` (`clinic_id`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`clinic_id` text NOT NULL,
	`email_lookup` text NOT NULL,
	`email_sealed` text NOT NULL,
	`password_hash` text,
	`role` text NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`last_login_at` integer,
	FOREIGN KEY (`clinic_id`) REFERENCES `clinics`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_email_lookup_uq` ON `users` (`email_lookup`);--> statement-breakpoint
CREATE INDEX `users_clinic_idx` ON `users` (`clinic_id`);--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`key` text PRIMARY KEY NOT NULL,
	`clinic_id` text,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `webhook_deliveries_received_idx` ON `webhook_deliveries` (`received_at`);