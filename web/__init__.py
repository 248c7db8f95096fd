"""Flask front end: blueprints, templates and the JSON API. Nothing imports ``web``."""

from __future__ import annotations

from flask import Flask

import bootstrap
from core.settings import Settings


def create_app(settings: Settings | None = None, container: bootstrap.Container | None = None) -> Flask:
    """Build the app; tests pass their own settings or a ready container."""
    container = container or bootstrap.build(settings)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=container.settings.secret_key,
        MAX_CONTENT_LENGTH=container.settings.max_upload_bytes,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=container.settings.production,
    )
    app.extensions["dealflow"] = container

    from . import (
        accounts,
        activities,
        admin,
        api,
        approvals,
        auth,
        bulk_send,
        business_types,
        calendar,
        catalog,
        cli,
        contract_approvals,
        contract_types,
        contracts,
        converters,
        dashboards,
        designer,
        duplicate_rules,
        errors,
        handover,
        history,
        i18n,
        inbox,
        instances,
        lead_conversion,
        lead_follow_up,
        lead_forms,
        lead_imports,
        leads,
        merges,
        message_templates,
        notifications,
        opportunities,
        opportunity_board,
        opportunity_lists,
        opt_outs,
        out_of_office,
        pools,
        process_diff,
        process_monitor,
        processes,
        quotes,
        record_pages,
        reports,
        reports_builder,
        reports_contracts,
        reports_leads,
        reports_pipeline,
        saved_views,
        security,
        tasks,
        tokens,
        visits,
        web_to_lead,
    )

    converters.init_app(app)
    record_pages.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    auth.init_app(app)
    app.register_blueprint(processes.bp)
    app.register_blueprint(instances.bp)
    process_monitor.init_app(app)
    app.register_blueprint(designer.bp)
    app.register_blueprint(process_diff.bp)
    app.register_blueprint(inbox.bp)
    app.register_blueprint(tasks.bp)
    app.register_blueprint(approvals.bp)
    app.register_blueprint(opportunities.bp)
    app.register_blueprint(opportunity_lists.bp)
    app.register_blueprint(opportunity_board.bp)
    app.register_blueprint(saved_views.bp)
    app.register_blueprint(business_types.bp)
    app.register_blueprint(leads.bp)
    app.register_blueprint(lead_follow_up.bp)
    app.register_blueprint(activities.bp)
    app.register_blueprint(visits.bp)
    app.register_blueprint(calendar.bp)
    app.register_blueprint(lead_conversion.bp)
    lead_imports.init_app(app)
    app.register_blueprint(message_templates.bp)
    bulk_send.init_app(app)
    app.register_blueprint(opt_outs.bp)
    app.register_blueprint(lead_forms.bp)
    web_to_lead.init_app(app)
    app.register_blueprint(pools.bp)
    app.register_blueprint(accounts.bp)
    app.register_blueprint(catalog.bp)
    app.register_blueprint(quotes.bp)
    app.register_blueprint(contracts.bp)
    app.register_blueprint(contract_approvals.bp)
    app.register_blueprint(contract_types.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(handover.bp)
    app.register_blueprint(merges.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(reports_builder.bp)
    app.register_blueprint(dashboards.bp)
    app.register_blueprint(reports_contracts.bp)
    app.register_blueprint(reports_leads.bp)
    app.register_blueprint(reports_pipeline.bp)
    app.register_blueprint(duplicate_rules.bp)
    app.register_blueprint(tokens.bp)
    notifications.init_app(app)
    app.register_blueprint(out_of_office.bp)
    api.init_app(app)
    history.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    return app
