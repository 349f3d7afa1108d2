variable "project_id" {
  description = "The Google Cloud project that holds the bucket, the service account and the BigQuery dataset."
  type        = string
}

variable "location" {
  description = "Location of the bucket and the BigQuery dataset (a region such as europe-west1, or a multi-region such as EU). They must match for external tables."
  type        = string
  default     = "EU"
}

variable "bucket_name" {
  description = "Name of the bucket (globally unique)."
  type        = string
}

variable "prefix" {
  description = "Folder inside the bucket that fitpipe owns: remote.url becomes gs://BUCKET/PREFIX."
  type        = string
  default     = "fitpipe"
}

variable "noncurrent_version_days" {
  description = "Days a replaced or deleted object version is kept before it is removed (object versioning is the undo for a bad write)."
  type        = number
  default     = 30
}

variable "noncurrent_versions_kept" {
  description = "How many noncurrent versions of an object are kept at most."
  type        = number
  default     = 10
}

variable "service_account_id" {
  description = "Account id of the service account the laptops use."
  type        = string
  default     = "fitpipe-sync"
}

variable "create_key" {
  description = "Create a JSON key for the service account (stored in the Terraform state; prefer workload identity or `gcloud auth application-default login` where you can)."
  type        = bool
  default     = false
}

variable "dataset_id" {
  description = "BigQuery dataset with external tables over the lake."
  type        = string
  default     = "fitpipe"
}
