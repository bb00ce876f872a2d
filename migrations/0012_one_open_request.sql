-- One open request of a type per person or address: a second one joins the first (Art. 12(3)).
-- A database that already holds two open requests of a type for one person stops here: close one
-- of them (reject it as a duplicate) and migrate again.
CREATE UNIQUE INDEX "subject_requests_one_open_per_person" ON "subject_requests" USING btree ("person_id","type") WHERE "subject_requests"."person_id" is not null and "subject_requests"."status" in ('received', 'verified', 'in_progress');--> statement-breakpoint
CREATE UNIQUE INDEX "subject_requests_one_open_per_address" ON "subject_requests" USING btree (lower("contact_email"),"type") WHERE "subject_requests"."person_id" is null and "subject_requests"."status" in ('received', 'verified', 'in_progress');
