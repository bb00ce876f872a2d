CREATE TYPE "public"."talent_pool_status" AS ENUM('requested', 'given', 'declined');--> statement-breakpoint
ALTER TYPE "public"."link_action" ADD VALUE 'talent_pool';--> statement-breakpoint
ALTER TYPE "public"."mail_template" ADD VALUE 'talent_pool_renewal';--> statement-breakpoint
CREATE TABLE "talent_pool" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"person_id" uuid NOT NULL,
	"status" "talent_pool_status" NOT NULL,
	"consent_text_hash" text NOT NULL,
	"requested_at" timestamp with time zone NOT NULL,
	"requested_by" uuid,
	"answered_via" uuid,
	"answered_at" timestamp with time zone,
	"expires_at" timestamp with time zone,
	"renewal_requested_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "link_tokens" ADD COLUMN "person_id" uuid;--> statement-breakpoint
ALTER TABLE "talent_pool" ADD CONSTRAINT "talent_pool_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "talent_pool" ADD CONSTRAINT "talent_pool_requested_by_users_id_fk" FOREIGN KEY ("requested_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "talent_pool_person_idx" ON "talent_pool" USING btree ("person_id");--> statement-breakpoint
CREATE INDEX "talent_pool_expiry_idx" ON "talent_pool" USING btree ("expires_at");--> statement-breakpoint
ALTER TABLE "link_tokens" ADD CONSTRAINT "link_tokens_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE cascade ON UPDATE no action;