CREATE TABLE `job_failures` (
	`id` text PRIMARY KEY NOT NULL,
	`clinic_id` text,
	`job_type` text NOT NULL,
	`ref` text NOT NULL,
	`first_failed_at` integer NOT NULL,
	`last_failed_at` integer NOT NULL,
	`count` integer DEFAULT 1 NOT NULL,
	`last_message_id` text,
	`alerted_at` integer,
	`resolved_at` integer
);
--> statement-breakpoint
CREATE INDEX `job_failures_clinic_idx` ON `job_failures` (`clinic_id`,`last_failed_at`);--> statement-breakpoint
CREATE INDEX `job_failures_last_idx` ON `job_failures` (`last_failed_at`);--> statement-breakpoint
CREATE INDEX `purge_runs_ran_idx` ON `purge_runs` (`ran_at`);