"""The talent service's tables: enterprises (一企一档), talent (人才画像), the service desk and talent housing.

Each domain declares its own tables in its ``models.py`` against ``db_base.Base``; this module gathers them (and
the kit's event, idempotency and periodic-run tables) into the one metadata the migrations and the service use."""

from __future__ import annotations

from kunruyi_common.events import event_tables
from kunruyi_common.idempotency import idempotency_table
from kunruyi_common.periodic import periodic_runs_table

from kunruyi_talent.activities.models import Activity, ActivityLead, ActivityRegistration
from kunruyi_talent.campaigns.models import (
    Campaign,
    CampaignTarget,
    CampaignTeam,
    CampaignTeamMember,
    Countermeasure,
    CountermeasureTicket,
    Visit,
)
from kunruyi_talent.db_base import Base
from kunruyi_talent.enterprise.models import (
    Enterprise,
    EnterpriseContact,
    EnterpriseFigures,
    EnterpriseQualification,
)
from kunruyi_talent.housing.models import HousingApplication, HousingOffer, HousingProject, HousingUnit
from kunruyi_talent.indicators.models import IndicatorChallenge, IndicatorPayment, IndicatorReport
from kunruyi_talent.messages.models import Message, MessagePolicyTitle, MessagePreference, SmsDelivery
from kunruyi_talent.platforms.models import Platform, PlatformReview
from kunruyi_talent.servicedesk.models import Ticket, TicketPart, TicketReveal, TicketTransition
from kunruyi_talent.servicelists.models import NeedDemand, PolicyMatch
from kunruyi_talent.talent.models import Talent, TalentHistory
from kunruyi_talent.teams.models import Team, TeamMember

outbox_events, inbox_events = event_tables(Base.metadata)
idempotency_keys = idempotency_table(Base.metadata)
periodic_runs = periodic_runs_table(Base.metadata)

__all__ = [
    "Activity",
    "ActivityLead",
    "ActivityRegistration",
    "Base",
    "Campaign",
    "CampaignTarget",
    "CampaignTeam",
    "CampaignTeamMember",
    "Countermeasure",
    "CountermeasureTicket",
    "Enterprise",
    "EnterpriseContact",
    "EnterpriseFigures",
    "EnterpriseQualification",
    "HousingApplication",
    "HousingOffer",
    "HousingProject",
    "HousingUnit",
    "IndicatorChallenge",
    "IndicatorPayment",
    "IndicatorReport",
    "Message",
    "MessagePolicyTitle",
    "MessagePreference",
    "NeedDemand",
    "Platform",
    "PlatformReview",
    "PolicyMatch",
    "SmsDelivery",
    "Talent",
    "TalentHistory",
    "Team",
    "TeamMember",
    "Ticket",
    "TicketPart",
    "TicketReveal",
    "TicketTransition",
    "Visit",
]
