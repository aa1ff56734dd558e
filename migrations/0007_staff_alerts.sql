CREATE TABLE `staff_alerts` (
	`id` text PRIMARY KEY NOT NULL,
	`clinic_id` text NOT NULL,
	`kind` text NOT NULL,
	`ref` text NOT NULL,
	`created_at` integer NOT NULL,
	`sent_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `staff_alerts_pending_uq` ON `staff_alerts` (`clinic_id`,`kind`,`ref`) WHERE sent_at IS NULL;--> statement-breakpoint
CREATE INDEX `staff_alerts_clinic_idx` ON `staff_alerts` (`clinic_id`,`sent_at`,`created_at`);--> statement-breakpoint
ALTER TABLE `users` ADD `alerts_email` integer;