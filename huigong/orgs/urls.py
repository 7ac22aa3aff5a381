from django.urls import path

from . import views

app_name = "orgs"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("tree/<int:pk>/children/", views.tree_children, name="tree_children"),
    path("nodes/<int:pk>/", views.node_detail, name="node_detail"),
    path("nodes/<int:pk>/new-child/", views.node_create, name="node_create"),
    path("nodes/<int:pk>/edit/", views.node_edit, name="node_edit"),
    path("nodes/<int:pk>/move/", views.node_move, name="node_move"),
    path("pickers/nodes/", views.node_picker, name="node_picker"),
    path("pickers/enterprises/", views.enterprise_picker, name="enterprise_picker"),
    path("enterprises/", views.enterprise_list, name="enterprise_list"),
    path("enterprises/new/", views.enterprise_create, name="enterprise_create"),
    path("enterprises/<int:pk>/", views.enterprise_detail, name="enterprise_detail"),
    path("enterprises/<int:pk>/edit/", views.enterprise_edit, name="enterprise_edit"),
    path("sites/", views.site_list, name="site_list"),
    path("sites/new/", views.site_create, name="site_create"),
    path("sites/<int:pk>/edit/", views.site_edit, name="site_edit"),
]
