"""Every table of the CRM, registered on the metadata: for Alembic and the schema test."""

import engine.models  # noqa: F401
import notifications.models  # noqa: F401
import workflows.accounts.models  # noqa: F401
import workflows.activities.models  # noqa: F401
import workflows.approvals.models  # noqa: F401
import workflows.audit  # noqa: F401
import workflows.calendar.models  # noqa: F401
import workflows.catalog.models  # noqa: F401
import workflows.contracts.models  # noqa: F401
import workflows.dedupe.models  # noqa: F401
import workflows.instances.models  # noqa: F401
import workflows.leads.capture_models  # noqa: F401
import workflows.leads.models  # noqa: F401
import workflows.merge.models  # noqa: F401
import workflows.messaging.models  # noqa: F401
import workflows.opportunities.models  # noqa: F401
import workflows.org.models  # noqa: F401
import workflows.reminders.models  # noqa: F401
import workflows.reports.builder_models  # noqa: F401
import workflows.reports.stays  # noqa: F401
import workflows.saved_views  # noqa: F401
import workflows.visits.models  # noqa: F401
