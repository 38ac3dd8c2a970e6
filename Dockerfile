FROM python:3.11-slim
ENV UV_PYTHON_DOWNLOADS=never PYTHONUNBUFFERED=1 UV_COMPILE_BYTECODE=1
RUN pip install --no-cache-dir uv
WORKDIR /srv/socialsync
COPY pyproject.toml uv.lock README.md ./
COPY app ./app
COPY workers ./workers
COPY prompts ./prompts
COPY supabase ./supabase
RUN uv sync --frozen --no-dev
ENV PATH="/srv/socialsync/.venv/bin:$PATH"
EXPOSE 8000
CMD ["uvicorn", "app.main:create_app", "--factory", "--host", "0.0.0.0", "--port", "8000", "--no-proxy-headers"]
