from snapshelf.web.views import public  # noqa: F401

urlpatterns = []
