from django.apps import AppConfig


class BenefitsConfig(AppConfig):
    name = "huigong.benefits"
    label = "benefits"
    verbose_name = "惠工服务"
    audit_object_urls = {"benefits.benefitprogramme": "benefits:programme_detail",
                         "benefits.reimbursement": "benefits:reimbursement_detail",
                         "benefits.paymentbatch": "benefits:batch_detail"}

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from . import services
        from .models import BenefitProgramme, ProgrammeQuota

        # Quota claims run on the kernel's capacity engine: it tells this app what it decides alone.
        services.register_capacity_hooks()

        # A saved programme or sub-quota is read afresh by this process's next claim.
        for signal in (post_save, post_delete):
            for model in (BenefitProgramme, ProgrammeQuota):
                signal.connect(services.forget_saved_programme, sender=model, dispatch_uid=f"claim-programme-{model.__name__}")
