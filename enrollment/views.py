from django.http import HttpResponse


def cabinet_home(request):
    return HttpResponse("cabinet")
