CREATE TABLE `pending_recordings` (
	`recording_sid` text PRIMARY KEY NOT NULL,
	`call_sid` text NOT NULL,
	`seconds` integer NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `pending_recordings_call_idx` ON `pending_recordings` (`call_sid`);--> statement-breakpoint
CREATE INDEX `pending_recordings_received_idx` ON `pending_recordings` (`received_at`);