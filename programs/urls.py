"""URLs of the programs app: the program workflow and cohorts (program_urls), and the money
side — contracts, add-on agreements, cost proposals (contract_urls)."""
from programs import contract_urls, program_urls

app_name = "programs"
urlpatterns = [*program_urls.urlpatterns, *contract_urls.urlpatterns]
