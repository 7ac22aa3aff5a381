from django.apps import AppConfig


class KernelSubjectConfig(AppConfig):
    name = "huigong.core.tests.kernel_subject"
    label = "kernel_subject"
    verbose_name = "kernel test subject"
