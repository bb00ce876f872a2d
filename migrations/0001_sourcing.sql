CREATE TYPE "public"."access_action" AS ENUM('read', 'list', 'export');--> statement-breakpoint
CREATE TYPE "public"."consent_state" AS ENUM('missing', 'requested', 'given', 'declined', 'expired', 'withdrawn');--> statement-breakpoint
CREATE TYPE "public"."fact_kind" AS ENUM('skill', 'experience', 'education', 'note', 'link');--> statement-breakpoint
CREATE TYPE "public"."notice_status" AS ENUM('not_required', 'pending', 'sent', 'undelivered');--> statement-breakpoint
CREATE TYPE "public"."source_type" AS ENUM('linkedin', 'github', 'stackoverflow', 'website', 'referral', 'application', 'other');--> statement-breakpoint
CREATE TYPE "public"."special_basis" AS ENUM('explicit_consent', 'manifestly_public');--> statement-breakpoint
CREATE TYPE "public"."special_category" AS ENUM('religion', 'ethnicity', 'union_membership', 'biometric', 'health', 'sex_life_or_orientation', 'political_opinion');--> statement-breakpoint
CREATE TYPE "public"."stage" AS ENUM('sourced', 'contacted', 'consented', 'introduced', 'hired', 'rejected', 'withdrawn', 'objected', 'erased');--> statement-breakpoint
CREATE TYPE "public"."actor_type" AS ENUM('user', 'data_subject', 'system', 'mail_provider');--> statement-breakpoint
CREATE TYPE "public"."ledger_event_type" AS ENUM('basis_asserted', 'notice_sent', 'consent_requested', 'consent_given', 'consent_declined', 'consent_expired', 'consent_withdrawn', 'objection', 'restricted', 'restriction_lifted', 'introduced', 'rectified', 'exported', 'erasure_requested', 'erased', 'retention_expired');--> statement-breakpoint
CREATE TYPE "public"."identifier_kind" AS ENUM('bsn', 'national_insurance', 'passport', 'visa', 'right_to_work');--> statement-breakpoint
CREATE TYPE "public"."suppression_reason" AS ENUM('erasure', 'objection', 'spam_complaint', 'unsubscribe', 'manual');--> statement-breakpoint
CREATE TABLE "access_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"person_id" uuid,
	"candidacy_id" uuid,
	"action" "access_action" NOT NULL,
	"route" text NOT NULL,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "candidacies" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"person_id" uuid,
	"vacancy_id" uuid NOT NULL,
	"stage" "stage" DEFAULT 'sourced' NOT NULL,
	"source_type" "source_type" NOT NULL,
	"source_url" text,
	"obtained_at" timestamp with time zone NOT NULL,
	"sourced_by" uuid NOT NULL,
	"notice_status" "notice_status" NOT NULL,
	"notice_due_at" timestamp with time zone,
	"notice_sent_at" timestamp with time zone,
	"consent_state" "consent_state" DEFAULT 'missing' NOT NULL,
	"consent_expires_at" timestamp with time zone,
	"introduced_at" timestamp with time zone,
	"retain_until" timestamp with time zone,
	"stage_changed_at" timestamp with time zone NOT NULL,
	"stage_changed_by" uuid,
	"ledger_seq" integer DEFAULT 0 NOT NULL,
	"ledger_head" text DEFAULT '0000000000000000000000000000000000000000000000000000000000000000' NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "candidacies_tombstone" CHECK ("candidacies"."person_id" is not null or "candidacies"."stage" = 'erased')
);
--> statement-breakpoint
CREATE TABLE "facts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"candidacy_id" uuid NOT NULL,
	"kind" "fact_kind" NOT NULL,
	"value" text NOT NULL,
	"special_category" "special_category",
	"special_basis" "special_basis",
	"source_type" "source_type" NOT NULL,
	"source_url" text,
	"collected_at" timestamp with time zone NOT NULL,
	"collected_by" uuid NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "facts_special_basis" CHECK (("facts"."special_category" is null) = ("facts"."special_basis" is null) and ("facts"."special_basis" is distinct from 'manifestly_public' or "facts"."source_url" is not null))
);
--> statement-breakpoint
CREATE TABLE "stage_changes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"candidacy_id" uuid NOT NULL,
	"from_stage" "stage" NOT NULL,
	"to_stage" "stage" NOT NULL,
	"decided_by" uuid,
	"reason" text,
	"decided_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ledger_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"candidacy_id" uuid NOT NULL,
	"vacancy_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"type" "ledger_event_type" NOT NULL,
	"legal_basis" "legal_basis",
	"actor_type" "actor_type" NOT NULL,
	"actor_id" uuid,
	"evidence" jsonb NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "people" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"full_name" text NOT NULL,
	"phone" text,
	"location" text,
	"headline" text,
	"language" "language" NOT NULL,
	"restricted_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "person_emails" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"person_id" uuid NOT NULL,
	"address" text NOT NULL,
	"normalized" text NOT NULL,
	"undeliverable_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "person_identifiers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"person_id" uuid NOT NULL,
	"kind" "identifier_kind" NOT NULL,
	"ciphertext" text NOT NULL,
	"key_id" text NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "suppressions" (
	"address_hash" text PRIMARY KEY NOT NULL,
	"reason" "suppression_reason" NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "access_log" ADD CONSTRAINT "access_log_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "access_log" ADD CONSTRAINT "access_log_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "candidacies" ADD CONSTRAINT "candidacies_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "candidacies" ADD CONSTRAINT "candidacies_vacancy_id_vacancies_id_fk" FOREIGN KEY ("vacancy_id") REFERENCES "public"."vacancies"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "candidacies" ADD CONSTRAINT "candidacies_sourced_by_users_id_fk" FOREIGN KEY ("sourced_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "candidacies" ADD CONSTRAINT "candidacies_stage_changed_by_users_id_fk" FOREIGN KEY ("stage_changed_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "facts" ADD CONSTRAINT "facts_candidacy_id_candidacies_id_fk" FOREIGN KEY ("candidacy_id") REFERENCES "public"."candidacies"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "facts" ADD CONSTRAINT "facts_collected_by_users_id_fk" FOREIGN KEY ("collected_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stage_changes" ADD CONSTRAINT "stage_changes_candidacy_id_candidacies_id_fk" FOREIGN KEY ("candidacy_id") REFERENCES "public"."candidacies"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stage_changes" ADD CONSTRAINT "stage_changes_decided_by_users_id_fk" FOREIGN KEY ("decided_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_events" ADD CONSTRAINT "ledger_events_candidacy_id_candidacies_id_fk" FOREIGN KEY ("candidacy_id") REFERENCES "public"."candidacies"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_events" ADD CONSTRAINT "ledger_events_vacancy_id_vacancies_id_fk" FOREIGN KEY ("vacancy_id") REFERENCES "public"."vacancies"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "person_emails" ADD CONSTRAINT "person_emails_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "person_identifiers" ADD CONSTRAINT "person_identifiers_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "access_log_person_idx" ON "access_log" USING btree ("person_id","at");--> statement-breakpoint
CREATE INDEX "access_log_at_idx" ON "access_log" USING btree ("at");--> statement-breakpoint
CREATE UNIQUE INDEX "candidacies_person_vacancy_key" ON "candidacies" USING btree ("person_id","vacancy_id");--> statement-breakpoint
CREATE INDEX "candidacies_vacancy_stage_idx" ON "candidacies" USING btree ("vacancy_id","stage");--> statement-breakpoint
CREATE INDEX "candidacies_notice_due_idx" ON "candidacies" USING btree ("notice_due_at") WHERE "candidacies"."notice_status" in ('pending', 'undelivered');--> statement-breakpoint
CREATE INDEX "facts_candidacy_idx" ON "facts" USING btree ("candidacy_id");--> statement-breakpoint
CREATE INDEX "stage_changes_candidacy_idx" ON "stage_changes" USING btree ("candidacy_id","decided_at");--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_events_chain_key" ON "ledger_events" USING btree ("candidacy_id","seq");--> statement-breakpoint
CREATE INDEX "ledger_events_vacancy_idx" ON "ledger_events" USING btree ("vacancy_id");--> statement-breakpoint
CREATE INDEX "ledger_events_type_idx" ON "ledger_events" USING btree ("type","occurred_at");--> statement-breakpoint
CREATE UNIQUE INDEX "person_emails_normalized_key" ON "person_emails" USING btree ("normalized");--> statement-breakpoint
CREATE INDEX "person_emails_person_idx" ON "person_emails" USING btree ("person_id");--> statement-breakpoint
CREATE UNIQUE INDEX "person_identifiers_person_kind_key" ON "person_identifiers" USING btree ("person_id","kind");