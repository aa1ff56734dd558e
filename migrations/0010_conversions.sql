CREATE TABLE `conversions` (
	`id` text PRIMARY KEY NOT NULL,
	`clinic_id` text NOT NULL,
	`lead_id` text NOT NULL,
	`appointment_id` text NOT NULL,
	`platform` text NOT NULL,
	`status` text NOT NULL,
	`reason` text,
	`value_pence` integer NOT NULL,
	`event_at` integer NOT NULL,
	`sent_at` integer,
	`attempts` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `conversions_booking_uq` ON `conversions` (`clinic_id`,`appointment_id`,`platform`);--> statement-breakpoint
CREATE INDEX `conversions_list_idx` ON `conversions` (`clinic_id`,`created_at`);--> statement-breakpoint
ALTER TABLE `clinics` ADD `google_ads_customer_id` text;--> statement-breakpoint
ALTER TABLE `clinics` ADD `google_conversion_action` text;--> statement-breakpoint
ALTER TABLE `clinics` ADD `meta_pixel_id` text;