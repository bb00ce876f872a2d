CREATE TYPE "public"."request_channel" AS ENUM('email', 'phone', 'letter', 'self_service');--> statement-breakpoint
CREATE TYPE "public"."request_status" AS ENUM('received', 'verified', 'in_progress', 'completed', 'rejected');--> statement-breakpoint
CREATE TYPE "public"."request_type" AS ENUM('access', 'rectification', 'erasure', 'restriction', 'objection', 'portability');--> statement-breakpoint
ALTER TYPE "public"."mail_template" ADD VALUE 'dpo_deadline_reminder';--> statement-breakpoint
CREATE TABLE "erasure_tasks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"request_id" uuid NOT NULL,
	"description" text NOT NULL,
	"confirmed_by" uuid,
	"confirmed_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "request_artefacts" (
	"request_id" uuid PRIMARY KEY NOT NULL,
	"json" text NOT NULL,
	"html" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "subject_requests" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"type" "request_type" NOT NULL,
	"status" "request_status" NOT NULL,
	"current_step" text,
	"person_id" uuid,
	"contact_email" text,
	"language" "language" NOT NULL,
	"channel" "request_channel" NOT NULL,
	"note" text,
	"received_at" timestamp with time zone NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"extended_due_at" timestamp with time zone,
	"extension_reason" text,
	"verified_at" timestamp with time zone,
	"verification_method" text,
	"owner_id" uuid,
	"closed_at" timestamp with time zone,
	"rejection_reason" text,
	"transitions" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"result" jsonb,
	"erasure_subject" text,
	"erasure_key_id" text,
	"created_by" uuid,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "erasure_tasks" ADD CONSTRAINT "erasure_tasks_request_id_subject_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."subject_requests"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "erasure_tasks" ADD CONSTRAINT "erasure_tasks_confirmed_by_users_id_fk" FOREIGN KEY ("confirmed_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "request_artefacts" ADD CONSTRAINT "request_artefacts_request_id_subject_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."subject_requests"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subject_requests" ADD CONSTRAINT "subject_requests_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subject_requests" ADD CONSTRAINT "subject_requests_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "erasure_tasks_request_idx" ON "erasure_tasks" USING btree ("request_id");--> statement-breakpoint
CREATE INDEX "subject_requests_open_idx" ON "subject_requests" USING btree ("status","due_at");--> statement-breakpoint
CREATE INDEX "subject_requests_person_idx" ON "subject_requests" USING btree ("person_id");