from django.urls import path

from snapshelf.web.views import jobs

urlpatterns = [
    path("jobs/", jobs.jobs, name="jobs"),
]
