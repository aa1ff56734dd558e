CREATE TABLE `stripe_events` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `clinics` ADD `stripe_customer_id` text;--> statement-breakpoint
ALTER TABLE `clinics` ADD `stripe_subscription_id` text;--> statement-breakpoint
ALTER TABLE `clinics` ADD `current_period_end` integer;--> statement-breakpoint
ALTER TABLE `clinics` ADD `past_due_since` integer;--> statement-breakpoint
ALTER TABLE `outbound_messages` ADD `segments` integer DEFAULT 1 NOT NULL;